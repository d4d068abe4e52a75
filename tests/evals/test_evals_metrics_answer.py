import pytest

from grounded.evals.metrics.answer import exact_match, normalize_answer, token_f1

pytestmark = pytest.mark.unit


def test_normalize() -> None:
    assert normalize_answer("The  Cat, sat!") == "cat sat"
    assert normalize_answer("An apple a day") == "apple day"
    assert normalize_answer("theory") == "theory"  # articles only as whole words


def test_exact_match_any_reference() -> None:
    assert exact_match("the France.", ["Paris", "France"]) == 1.0
    assert exact_match("Paris, France", ["France"]) == 0.0
    assert exact_match("", ["France"]) == 0.0


def test_token_f1_max_over_references() -> None:
    # pred {in, 10th, century} vs {10th, and, 11th, centuries}: 1 common, P 1/3, R 1/4 -> 2/7
    assert token_f1("in the 10th century", ["10th and 11th centuries"]) == pytest.approx(2 / 7)
    # vs {10th, century}: 2 common, P 2/3, R 1 -> 0.8
    assert token_f1("in the 10th century", ["10th and 11th centuries", "10th century"]) == pytest.approx(0.8)
    assert token_f1("x y", ["a b"]) == 0.0


def test_token_f1_counts_repeated_tokens() -> None:
    # pred {big, big, dog} vs {big, dog}: common 2 (min counts), P 2/3, R 1 -> 0.8
    assert token_f1("big big dog", ["big dog"]) == pytest.approx(0.8)


def test_empty_sides() -> None:
    assert token_f1("", ["France"]) == 0.0
    assert token_f1("the", ["a"]) == 1.0  # both normalise to nothing
    assert exact_match("France", []) is None
    assert token_f1("France", []) is None
