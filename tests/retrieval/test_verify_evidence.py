"""The verifier on real retrieved chunks of the demo collection (issue 8 item 3): a sentence backed by any block
shown is kept and points at that block, an entity or number swap is removed, the quote is the whole sentence."""

from __future__ import annotations

from grounded.contracts import Evidence

QUESTION = "Within how many days after a business trip must I submit my expense report?"
FACT = "Expense reports must be submitted within 30 days of the end of the trip."


def shown_blocks(components, demo_collection) -> dict[int, Evidence]:
    """The top three chunks with the one holding the fact shown last, as [3]."""
    evidence = components.answers.searcher.search(demo_collection, QUESTION, None, None, None)[:3]
    holder = next(e for e in evidence if FACT in e.chunk.text)
    others = [e for e in evidence if e is not holder]
    return {1: others[0], 2: others[1], 3: holder}


def test_fact_cited_to_the_wrong_block_is_kept_and_renumbered(components, demo_collection):
    blocks = shown_blocks(components, demo_collection)
    v = components.answers.verifier.verify("Expense reports must be submitted within 30 days of the trip [1].", blocks)
    assert v.kept == 1 and v.removed == []
    assert v.text == "Expense reports must be submitted within 30 days of the trip. [1]"
    assert v.citations[0].chunk_id == blocks[3].chunk.chunk_id and v.citations[0].quote == FACT


def test_short_answer_carries_the_whole_sentence(components, demo_collection):
    v = components.answers.verifier.verify("30 days [3].", shown_blocks(components, demo_collection))
    assert v.kept == 1 and v.citations[0].quote == FACT


def test_entity_and_number_swaps_are_removed(components, demo_collection):
    blocks = shown_blocks(components, demo_collection)
    for wrong, missing in [("Contractors must submit expense reports within 30 days of the end of the trip [3].",
                            "Contractors"),
                           ("Expense reports must be submitted within 45 days of the end of the trip [3].", "45")]:
        v = components.answers.verifier.verify(wrong, blocks)
        assert v.kept == 0 and missing in v.verdicts[0].unsupported, (wrong, v.verdicts[0])
