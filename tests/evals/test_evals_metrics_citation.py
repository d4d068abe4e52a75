import pytest

from grounded.evals.metrics.citation import CitedSentence, citation_scores


def substring_support(sentence: str, quote: str) -> bool:
    return quote.lower() in sentence.lower()


def test_hand_computed_precision_and_recall() -> None:
    answer = [
        CitedSentence(text="Leave is 25 days.", quotes=["25 days", "unrelated"]),
        CitedSentence(text="Ask HR."),
        CitedSentence(text="Carry-over is 5 days.", quotes=["5 days"]),
    ]
    s = citation_scores(answer, substring_support)
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(2 / 3)
    assert (s.n_citations, s.n_supported_citations, s.n_sentences, s.n_supported_sentences) == (3, 2, 3, 2)


def test_checker_receives_sentence_then_quote() -> None:
    calls: list[tuple[str, str]] = []

    def record(sentence: str, quote: str) -> bool:
        calls.append((sentence, quote))
        return True

    citation_scores([CitedSentence(text="S", quotes=["Q"])], record)
    assert calls == [("S", "Q")]


def test_no_sentences_is_undefined() -> None:
    s = citation_scores([], substring_support)
    assert (s.precision, s.recall) == (None, None)


def test_sentences_without_citations() -> None:
    s = citation_scores([CitedSentence(text="Unbacked claim.")], substring_support)
    assert (s.precision, s.recall, s.n_citations) == (None, 0.0, 0)


def test_all_citations_unsupported() -> None:
    s = citation_scores([CitedSentence(text="A.", quotes=["B", "C"])], substring_support)
    assert (s.precision, s.recall) == (0.0, 0.0)


def test_default_checker_is_the_verifiers_judge() -> None:
    quote = "Expense reports must be submitted within 30 days of the end of the trip."
    s = citation_scores([CitedSentence(text="Reports are due within 30 days of the trip's end.", quotes=[quote]),
                         CitedSentence(text="Reports are due within 45 days of the trip's end.", quotes=[quote])])
    assert (s.n_supported_citations, s.precision) == (1, 0.5)
