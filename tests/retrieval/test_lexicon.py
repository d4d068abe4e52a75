"""Word roots and specificity from data in installed packages (spaCy's lemma exceptions, cl100k BPE ranks)."""

import pytest

from grounded.retrieval.lexicon import root, specificity

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("a, b", [("won", "wins"), ("children", "child"), ("went", "going"), ("published", "publisher")])
def test_irregular_and_regular_forms_share_a_root(a, b):
    assert root(a) == root(b)


def test_different_words_keep_different_roots():
    assert root("won") != root("lost") and root("bought") != root("sold")


def test_rare_words_are_more_specific_than_common_ones():
    assert specificity("the") == 0.0
    assert specificity("also") < specificity("currently") < specificity("publisher") < specificity("Boezinger") == 1.0
    assert specificity("Hollywood") < 1.0, "a capitalised word is looked up as written too"
