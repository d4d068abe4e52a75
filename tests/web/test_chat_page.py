"""The chat page in a real browser (headless Chromium): key, collection, a golden question answered with
citations, the quote opened in context, the no-answer / clarification / refused states, an upload followed to
the job's end, and a phone-sized screen. Each state is saved as a screenshot; console errors fail the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from web_keys import ADMIN_KEY

GOLDEN = Path(__file__).resolve().parents[2] / "data" / "golden" / "questions.jsonl"


def golden(qid: str) -> dict:
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["id"] == qid:
            return record
    raise KeyError(qid)


def start(page, site, collection: str = "demo"):
    """Open `/`, type the key, choose the collection."""
    page.goto(site.base_url + "/")
    page.get_by_test_id("api-key").fill(ADMIN_KEY)
    page.get_by_test_id("api-key").press("Enter")
    page.wait_for_selector(f'[data-testid="collection"] option[value="{collection}"]', state="attached")
    page.get_by_test_id("collection").select_option(collection)


def ask(page, question: str):
    """Ask through the keyboard (Enter sends) and return the newest answer once its final state is shown."""
    before = page.get_by_test_id("answer").count()
    page.get_by_test_id("question").fill(question)
    page.get_by_test_id("question").press("Enter")
    answer = page.get_by_test_id("answer").nth(before)
    answer.and_(page.locator("[data-status]")).wait_for()
    return answer


def test_golden_question_gets_a_cited_answer_and_the_quote_opens_in_context(page, site):
    start(page.page, site)
    assert page.page.evaluate("sessionStorage.getItem('grounded.apiKey')") == ADMIN_KEY
    q = golden("g001")
    answer = ask(page.page, q["question"])
    assert answer.get_attribute("data-status") == "answered"
    assert any(ref in answer.inner_text() for ref in q["reference_answers"])
    citations = answer.get_by_test_id("citation")
    assert citations.count() >= 1
    page.screenshot("01-answered")

    citations.first.focus()
    page.page.keyboard.press("Enter")  # markers are buttons: keyboard opens them too
    quote = page.page.get_by_test_id("quote")
    quote.wait_for()
    highlighted = quote.locator("mark").inner_text()
    assert "Oslo" in highlighted and "1,850" in highlighted
    assert "Travel and Expenses Policy" in quote.inner_text()
    assert quote.locator(".quote-context").inner_text().strip() != highlighted.strip()  # shown with its context
    page.screenshot("02-quote-in-context")

    page.page.keyboard.press("Escape")
    assert quote.is_hidden()
    assert page.page.evaluate("document.activeElement.dataset.testid") == "citation"


def test_follow_up_sends_history(page, site):
    start(page.page, site)
    ask(page.page, golden("g002")["question"])
    sent = []
    page.page.on("request", lambda r: sent.append(r.post_data_json) if r.url.endswith("/v1/chat") else None)
    ask(page.page, golden("g003")["question"])
    assert [turn["role"] for turn in sent[0]["history"]] == ["user", "assistant"]
    assert sent[0]["history"][0]["content"] == golden("g002")["question"]


def test_out_of_scope_question_shows_the_no_answer_state(page, site):
    start(page.page, site)
    answer = ask(page.page, "What is the boiling point of liquid nitrogen on Mars?")
    assert answer.get_attribute("data-status") == "no_answer"
    assert answer.get_by_test_id("citation").count() == 0
    assert answer.get_by_test_id("status").text_content() == "Not in the documents"
    page.screenshot("03-no-answer")


@pytest.mark.parametrize("qid", ["g045"])
def test_vague_question_offers_follow_ups_as_suggestions(page, site, qid):
    start(page.page, site)
    answer = ask(page.page, golden(qid)["question"])
    assert answer.get_attribute("data-status") == "needs_clarification"
    suggestions = answer.get_by_test_id("suggestion")
    assert suggestions.count() >= 2
    page.screenshot("04-needs-clarification")
    option = suggestions.first.inner_text()
    suggestions.first.click()  # asks again with the chosen reading
    follow_up = page.page.get_by_test_id("answer").nth(1)
    follow_up.and_(page.page.locator("[data-status]")).wait_for()
    assert option in page.page.locator(".question-bubble").nth(1).inner_text()


def test_injection_attempt_is_shown_as_refused(page, site):
    start(page.page, site)
    answer = ask(page.page, golden("g044")["question"])
    assert answer.get_attribute("data-status") == "refused"
    page.screenshot("05-refused")


def test_upload_shows_job_progress_until_done_then_answers_from_it(page, site, tmp_path):
    doc = tmp_path / "parking-rules.md"
    doc.write_text("# Parking rules\n\nVisitors park in the blue zone behind building C for at most four hours.\n")
    start(page.page, site)
    page.page.locator("#documents summary").click()
    page.page.get_by_test_id("upload-files").set_input_files(str(doc))
    page.page.get_by_test_id("new-collection").fill("web-uploads")
    page.page.get_by_test_id("upload").click()
    job = page.page.get_by_test_id("job")
    job.and_(page.page.locator('[data-status="succeeded"]')).wait_for(timeout=120_000)
    assert "1 added" in job.inner_text()
    assert page.page.get_by_test_id("collection").input_value() == "web-uploads"
    page.screenshot("06-upload-done")

    answer = ask(page.page, "Where do visitors park?")
    assert answer.get_attribute("data-status") == "answered" and "blue zone" in answer.inner_text()


def test_phone_sized_screen_shows_answer_and_quote_sheet(phone, site):
    start(phone.page, site)
    answer = ask(phone.page, golden("g002")["question"])
    assert answer.get_attribute("data-status") == "answered"
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone: {width}px"
    answer.get_by_test_id("citation").first.tap()
    phone.page.get_by_test_id("quote").wait_for()
    phone.screenshot("07-phone-quote")
