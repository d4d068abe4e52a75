"""The PDF layout heuristics (ingest/pdf.py) on hand-made rows: headings by font size and weight, bullets,
tables from multi-cell rows, paragraphs joined by line gap, page numbers dropped. No PDF is read."""

from __future__ import annotations

import pytest

from grounded.contracts import ElementKind
from grounded.ingest.pdf import Row, Segment, drop_page_numbers, structure

pytestmark = pytest.mark.unit

BODY = 10.0
LINE = 12.0  # baseline-to-baseline distance of body text


def row(text: str, y: float, size: float = BODY, page: int = 1, bold: bool = False, x0: float = 72.0) -> Row:
    return Row(page, y, [Segment(x0, text, size, bold)])


def cells(*texts: str, y: float, page: int = 1) -> Row:
    return Row(page, y, [Segment(72.0 + 100 * i, t, BODY, False) for i, t in enumerate(texts)])


def kinds(elements) -> list[tuple[ElementKind, str]]:
    return [(e.kind, e.text) for e in elements]


BODY_TEXT = "The device runs for ten hours on one charge and recharges in two."


def test_no_rows_no_elements():
    assert structure([]) == []


def test_close_body_lines_join_into_one_paragraph():
    out = structure([row("The device runs for ten", 700), row("hours on one charge.", 700 - LINE)])
    assert kinds(out) == [(ElementKind.TEXT, "The device runs for ten hours on one charge.")]


def test_a_wide_gap_starts_a_new_paragraph():
    out = structure([row("First paragraph ends here.", 700), row("Second one starts here.", 700 - 3 * LINE)])
    assert [e.text for e in out] == ["First paragraph ends here.", "Second one starts here."]


def test_paragraphs_do_not_join_across_pages():
    out = structure([row("Last line of page one", 80, page=1), row("first line of page two.", 80 - LINE, page=2)])
    assert [(e.text, e.page) for e in out] == [("Last line of page one", 1), ("first line of page two.", 2)]


def test_larger_fonts_are_headings_ranked_by_size():
    out = structure([
        row("HX200 Datasheet", 760, size=20), row("Battery", 720, size=14), row(BODY_TEXT, 700),
        row("Charging", 660, size=14), row(BODY_TEXT, 640),
    ])
    titles = [(e.text, e.depth) for e in out if e.kind is ElementKind.TITLE]
    assert titles == [("HX200 Datasheet", 0), ("Battery", 1), ("Charging", 1)]


def test_a_heading_wrapped_over_two_lines_stays_one_heading():
    out = structure([row("Warranty and", 720, size=14), row("returns", 720 - 18, size=14), row(BODY_TEXT, 680)])
    assert kinds(out)[0] == (ElementKind.TITLE, "Warranty and returns")


def test_a_large_sentence_is_not_a_heading():
    out = structure([row("Read this first.", 720, size=14), row(BODY_TEXT, 690)])
    assert out[0].kind is ElementKind.TEXT


def test_bold_short_line_at_body_size_is_the_lowest_heading():
    out = structure([row("Big title", 760, size=16), row("Safety", 720, bold=True), row(BODY_TEXT, 700)])
    assert [(e.kind, e.depth) for e in out[:2]] == [(ElementKind.TITLE, 0), (ElementKind.TITLE, 1)]


def test_bullet_glyph_in_its_own_cell_becomes_a_list_item_without_the_glyph():
    out = structure([Row(1, 700, [Segment(72, "•", BODY, False), Segment(84, "Charge fully before use", BODY, False)])])
    assert kinds(out) == [(ElementKind.LIST_ITEM, "Charge fully before use")]


@pytest.mark.parametrize("text", ["1. Unpack the device", "- Unpack the device", "• Unpack the device"])
def test_numbered_and_dashed_lines_are_list_items(text):
    assert structure([row(BODY_TEXT, 720), row(text, 690)])[1].kind is ElementKind.LIST_ITEM


def test_rows_of_several_cells_become_one_table():
    out = structure([cells("Model", "Battery", y=700), cells("HX200", "10 h", y=688), cells("HX300", "14 h", y=676)])
    assert kinds(out) == [(ElementKind.TABLE, "Model | Battery\nHX200 | 10 h\nHX300 | 14 h")]


def test_a_single_multi_cell_row_is_text_not_a_table():
    out = structure([cells("Tel.", "+47 22 00 00 00", y=700)])
    assert kinds(out) == [(ElementKind.TEXT, "Tel. +47 22 00 00 00")]


def test_a_table_ends_where_single_cell_rows_resume():
    out = structure([cells("a", "b", y=700), cells("c", "d", y=688), row(BODY_TEXT, 660)])
    assert [e.kind for e in out] == [ElementKind.TABLE, ElementKind.TEXT]


@pytest.mark.parametrize("text", ["3", "Page 3", "page 3 of 10", "3 / 10", "Confidential - Page 2 of 9"])
def test_page_number_lines_are_dropped(text):
    assert drop_page_numbers([row(text, 40), row(BODY_TEXT, 700)]) == [row(BODY_TEXT, 700)]


def test_numbers_inside_sentences_and_tables_are_kept():
    kept = [row("Section 3 covers 10 topics.", 600), cells("3", "10", y=500)]
    assert drop_page_numbers(kept) == kept
