"""PDF elements with pdfminer.six, the engine under unstructured's `fast` strategy.

Why our own: unstructured's `partition_pdf` imports unstructured-inference even for `fast`, and that package
pulls timm and torchvision, which break the CPU torch this product runs on. We read text lines with their
position and font, then rebuild structure: lines sharing a baseline with separate cells are table rows (kept
together as one table), a lone bullet glyph starts a list item, larger or bold short lines are headings (depth by
font size), and other lines join into paragraphs while the vertical gap stays within a line. Page numbers kept.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from grounded.contracts import ElementKind
from grounded.ingest.elements import ParseError, RawElement

_BULLETS = {"-", "•", "*", "\u2022", "\u25aa", "\u2013", "o"}
_BULLET_PREFIX = re.compile(r"^\s*(?:[•\u2022\u25aa]|-|\d{1,2}[.)])\s+")
_PAGE_NUMBER = re.compile(r"^\s*(?:page\s*)?\d+(?:\s*(?:/|of)\s*\d+)?\s*$|\bpage\s+\d+\s+(?:of|/)\s+\d+\s*$", re.IGNORECASE)
SAME_ROW_PT = 2.0


@dataclass
class Segment:
    """One text line of a PDF as pdfminer lays it out: left edge, text, dominant font size, mostly bold or not."""

    x0: float
    text: str
    size: float
    bold: bool


@dataclass
class Row:
    """The segments that share a baseline (within SAME_ROW_PT) on one page: several segments make a table row."""

    page: int
    y: float
    segments: list[Segment]

    @property
    def size(self) -> float:
        return max(s.size for s in self.segments)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)


def pdf_elements(path: Path) -> list[RawElement]:
    return structure(drop_page_numbers(read_rows(path)))


def read_rows(path: Path) -> list[Row]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTChar, LTTextContainer, LTTextLine
    from pdfminer.pdfparser import PDFSyntaxError

    rows: list[Row] = []
    try:
        for page_no, page in enumerate(extract_pages(str(path), laparams=LAParams()), start=1):
            lines = []
            for box in page:
                if not isinstance(box, LTTextContainer):
                    continue
                for line in box:
                    if not isinstance(line, LTTextLine):
                        continue
                    chars = [c for c in line if isinstance(c, LTChar) and c.get_text().strip()]
                    text = " ".join(line.get_text().split())
                    if not chars or not text:
                        continue
                    size = Counter(round(c.size, 1) for c in chars).most_common(1)[0][0]
                    bold = sum("Bold" in c.fontname for c in chars) > len(chars) / 2
                    lines.append((line.y0, Segment(line.x0, text, size, bold)))
            for y, seg in sorted(lines, key=lambda t: (-t[0], t[1].x0)):
                if rows and rows[-1].page == page_no and abs(rows[-1].y - y) <= SAME_ROW_PT:
                    rows[-1].segments.append(seg)
                else:
                    rows.append(Row(page_no, y, [seg]))
    except PDFSyntaxError as exc:
        raise ParseError(f"corrupt PDF: {exc}") from exc
    except Exception as exc:  # pdfminer raises assorted errors on damaged files
        raise ParseError(f"unreadable PDF: {type(exc).__name__}: {exc}"[:300]) from exc
    for row in rows:
        row.segments.sort(key=lambda s: s.x0)
    return rows


def drop_page_numbers(rows: list[Row]) -> list[Row]:
    """Without the rows that are only a page number ('3', 'Page 3 of 10', '... Page 2 of 9')."""
    return [r for r in rows if not (len(r.segments) == 1 and _PAGE_NUMBER.search(r.text))]


def structure(rows: list[Row]) -> list[RawElement]:
    """Rows -> titles (by font size rank, or bold at body size), list items, tables and paragraphs."""
    if not rows:
        return []
    weight: Counter = Counter()
    for r in rows:
        weight[r.size] += len(r.text)
    body = weight.most_common(1)[0][0]
    heading_sizes = sorted({r.size for r in rows if r.size >= body * 1.12 and len(r.text) <= 150}, reverse=True)
    level = {s: i for i, s in enumerate(heading_sizes)}

    out: list[RawElement] = []
    prev: Row | None = None
    table: list[str] = []

    def flush_table() -> None:
        if len(table) >= 2:
            out.append(RawElement(ElementKind.TABLE, "\n".join(table), page=prev.page if prev else None))
        elif table:
            out.append(RawElement(ElementKind.TEXT, table[0].replace(" | ", " "), page=prev.page if prev else None))
        table.clear()

    for row in rows:
        cells = [s.text for s in row.segments]
        is_bullet = len(cells) >= 2 and cells[0] in _BULLETS
        if len(cells) >= 2 and not is_bullet:
            table.append(" | ".join(cells))
            prev = row
            continue
        flush_table()
        text = " ".join(cells[1:]) if is_bullet else row.text
        short = len(text) <= 120 and not text.endswith((".", ":", ";", ","))
        gap = (prev.y - row.y) if prev and prev.page == row.page else None
        if row.size in level and short:
            if (out and out[-1].kind is ElementKind.TITLE and out[-1].depth == level[row.size]
                    and gap is not None and gap <= row.size * 1.6):
                out[-1] = RawElement(ElementKind.TITLE, f"{out[-1].text} {text}", depth=out[-1].depth, page=out[-1].page)
            else:
                out.append(RawElement(ElementKind.TITLE, text, depth=level[row.size], page=row.page))
        elif row.segments[0].bold and short and row.size >= body:
            out.append(RawElement(ElementKind.TITLE, text, depth=len(heading_sizes), page=row.page))
        elif is_bullet or _BULLET_PREFIX.match(text):
            out.append(RawElement(ElementKind.LIST_ITEM, text, page=row.page))
        elif (
            out and out[-1].kind in (ElementKind.TEXT, ElementKind.LIST_ITEM) and gap is not None
            and gap <= row.size * 1.6 and out[-1].page == row.page
        ):
            out[-1] = RawElement(out[-1].kind, f"{out[-1].text} {text}", page=row.page)
        else:
            out.append(RawElement(ElementKind.TEXT, text, page=row.page))
        prev = row
    flush_table()
    return out
