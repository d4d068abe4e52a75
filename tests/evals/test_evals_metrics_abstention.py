import pytest

from grounded.evals.metrics.abstention import abstention_scores

pytestmark = pytest.mark.unit

# (answerable_gold, abstained)
TRUE_ABSTAIN, FALSE_ABSTAIN, MISSED, ANSWERED = (False, True), (True, True), (False, False), (True, False)


def test_hand_computed_scores_and_counts() -> None:
    s = abstention_scores([TRUE_ABSTAIN] * 2 + [FALSE_ABSTAIN] + [MISSED] + [ANSWERED] * 3)
    c = s.counts
    assert (c.true_abstain, c.false_abstain, c.missed_abstain, c.true_answer, c.total) == (2, 1, 1, 3, 7)
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(2 / 3)
    assert s.accuracy == pytest.approx(5 / 7)


def test_f1_from_unequal_precision_and_recall() -> None:
    s = abstention_scores([TRUE_ABSTAIN, FALSE_ABSTAIN, FALSE_ABSTAIN, FALSE_ABSTAIN])  # P 1/4, R 1
    assert s.f1 == pytest.approx(2 * 0.25 * 1 / 1.25)


def test_no_unanswerable_questions_and_no_abstentions() -> None:
    s = abstention_scores([ANSWERED, ANSWERED])
    assert (s.precision, s.recall, s.f1, s.accuracy) == (None, None, None, 1.0)


def test_never_abstains_on_unanswerable() -> None:
    s = abstention_scores([MISSED, ANSWERED])
    assert (s.precision, s.recall, s.f1, s.accuracy) == (None, 0.0, None, 0.5)


def test_precision_and_recall_both_zero_gives_f1_zero() -> None:
    s = abstention_scores([MISSED, FALSE_ABSTAIN])
    assert (s.precision, s.recall, s.f1, s.accuracy) == (0.0, 0.0, 0.0, 0.0)


def test_empty_input_is_all_undefined() -> None:
    s = abstention_scores([])
    assert (s.precision, s.recall, s.f1, s.accuracy, s.counts.total) == (None, None, None, None, 0)


def test_metrics_names_and_denominators() -> None:
    m = abstention_scores([TRUE_ABSTAIN, FALSE_ABSTAIN, ANSWERED]).metrics()
    assert list(m) == ["abstention_precision", "abstention_recall", "abstention_f1", "abstention_accuracy"]
    assert (m["abstention_precision"].value, m["abstention_precision"].n) == (0.5, 2)
    assert (m["abstention_recall"].value, m["abstention_recall"].n) == (1.0, 1)
    assert m["abstention_accuracy"].n == 3
