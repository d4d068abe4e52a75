"""The one text toolkit (grounded/text.py): sentence spans, markers, numbers and dates."""

import pytest

from grounded.text import markers, month_spans, numbers, sentence_spans, split_sentences, strip_markers

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text, expected",
    [
        ("He lives on St. Mary Street. It is old.", ["He lives on St. Mary Street.", "It is old."]),
        ("No. 18 is his house. Say no. Then go.", ["No. 18 is his house.", "Say no.", "Then go."]),
        ("David G. Smith wrote it. J. R. R. Tolkien did not.", ["David G. Smith wrote it.", "J. R. R. Tolkien did not."]),
        ("It took 3.5 days. Then 2.25 more.", ["It took 3.5 days.", "Then 2.25 more."]),
        ("Dr. Who met Mr. Smith, e.g. on Jan. 5. Fine.", ["Dr. Who met Mr. Smith, e.g. on Jan. 5.", "Fine."]),
        ("Really? Yes! (Sure.) Ok", ["Really?", "Yes!", "(Sure.)", "Ok"]),
        ("Row one | 5\nRow two | 6", ["Row one | 5", "Row two | 6"]),
    ],
)
def test_sentences_survive_abbreviations_initials_and_decimals(text, expected):
    assert split_sentences(text) == expected


def test_markers_stay_with_their_sentence():
    assert split_sentences("It opened in June. [1] It cost $5 [2]. Paris is big [3] Berlin too [1, 2].") == [
        "It opened in June. [1]", "It cost $5 [2].", "Paris is big [3]", "Berlin too [1, 2]."]


def test_spans_are_exact_and_trimmed():
    text = "  First one.   Second one.\n\n Third "
    assert [text[s:e] for s, e in sentence_spans(text)] == ["First one.", "Second one.", "Third"]


def test_markers_parsed_in_order_without_repeats():
    assert markers("A [2]. B [1, 2]. C [3,1]") == [2, 1, 3]
    assert strip_markers("A fact [1, 2].") == "A fact."


@pytest.mark.parametrize(
    "a, b",
    [("June 8", "June 08"), ("1,850 people", "1850 people"), ("3.50 m", "3.5 m"), ("two dogs", "2 dogs"),
     ("the 3rd time", "3 times"), ("2.5 million", "2,500,000"), ("twenty-five members", "25 members"),
     ("two million", "2,000,000"), ("the 2018–19 season", "the 2018-2019 season"), ("1999-00", "1999 to 2000")],
)
def test_numbers_normalised(a, b):
    assert numbers(a) == numbers(b) and numbers(a)


def test_different_numbers_differ():
    assert numbers("1850") != numbers("1580")
    assert numbers("version 1.5") == {"1.5"}


def test_months_normalised_and_may_only_next_to_a_number():
    assert [m for *_, m in month_spans("In Sept. 2007 and on 8 Jun")] == ["september", "june"]
    assert month_spans("You may go to the Mayor in Marsh") == []
    assert [m for *_, m in month_spans("May 8")] == ["may"]
