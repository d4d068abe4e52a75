"""The trace review page in a real browser: recent answers with status, per-step latency, tokens, versions and
retrieved evidence; the status and fallen-back filters narrow the list."""

from __future__ import annotations

import httpx
from web_keys import ADMIN_KEY


def test_review_lists_answers_and_filters_by_status(page, site):
    with httpx.Client(base_url=site.base_url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=60) as c:
        for q in ("How long is an RMA number valid?", "Who won the 1998 football world cup?"):
            assert c.post("/v1/chat", json={"collection": "demo", "question": q}).status_code == 200
    p = page.page
    p.goto(site.base_url + "/review")
    p.get_by_test_id("api-key").fill(ADMIN_KEY)
    p.get_by_test_id("api-key").press("Enter")
    p.wait_for_selector('[data-testid="collection"] option[value="demo"]', state="attached")
    p.get_by_test_id("collection").select_option("demo")
    rows = p.get_by_test_id("trace")
    rows.first.wait_for()
    assert rows.first.locator(".trace-question").inner_text() == "Who won the 1998 football world cup?"

    p.get_by_test_id("filter-status").select_option("no_answer")
    p.wait_for_function("[...document.querySelectorAll('[data-testid=trace]')].every(r => r.dataset.status === 'no_answer')")
    assert rows.count() >= 1

    p.get_by_test_id("filter-status").select_option("answered")
    p.wait_for_function("[...document.querySelectorAll('[data-testid=trace]')].every(r => r.dataset.status === 'answered')")
    rows.first.locator("summary").click()
    detail = rows.first.locator(".trace-detail")
    text = detail.inner_text()
    for heading in ("Latency per step", "Tokens and cost", "Versions", "Retrieved evidence", "Citations"):
        assert heading.lower() in text.lower()
    assert "RMA" in rows.first.locator(".trace-question").inner_text()
    assert detail.locator("table").nth(3).locator("tbody tr").count() >= 1  # the evidence rows
    page.screenshot("10-trace-review")

    p.get_by_test_id("filter-fallback").check()  # only answers that fell back: each row shows why
    p.wait_for_function("""() => {
        const rows = [...document.querySelectorAll('[data-testid=trace]')];
        return rows.length ? rows.every(r => r.querySelector('.flag'))
                           : document.getElementById('summary').textContent.includes('No answers match');
    }""")
