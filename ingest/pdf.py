"""PDF text elements with pdfminer.six, the engine under unstructured's `fast` strategy.

Why our own: unstructured's `partition_pdf` imports unstructured-inference even for `fast`, and that package
pulls timm and torchvision, which break the CPU torch this product runs on. Headings are found by font size
relative to the body text (bold short lines count as the lowest heading level); page numbers are kept.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from grounded.contracts import ElementKind
from ingest.parse import ParseError, RawElement

_BULLET = re.compile(r"^\s*(?:[•\-\*\u2022\u25aa]|\d{1,2}[.)])\s+")
_PAGE_NUMBER = re.compile(r"^\s*(?:page\s*)?\d+(?:\s*(?:/|of)\s*\d+)?\s*$", re.IGNORECASE)


def pdf_elements(path: Path) -> list[RawElement]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTChar, LTTextContainer, LTTextLine
    from pdfminer.pdfparser import PDFSyntaxError

    boxes: list[tuple[int, str, float, bool]] = []
    try:
        for page_no, page in enumerate(extract_pages(str(path), laparams=LAParams()), start=1):
            for item in page:
                if not isinstance(item, LTTextContainer):
                    continue
                sizes, bold = [], 0
                for line in item:
                    if not isinstance(line, LTTextLine):
                        continue
                    for ch in line:
                        if isinstance(ch, LTChar) and ch.get_text().strip():
                            sizes.append(round(ch.size, 1))
                            bold += "Bold" in ch.fontname
                text = " ".join(item.get_text().split())
                if text and sizes and not _PAGE_NUMBER.match(text):
                    boxes.append((page_no, text, max(Counter(sizes).most_common(1)[0][0], 0.0), bold > len(sizes) / 2))
    except PDFSyntaxError as exc:
        raise ParseError(f"corrupt PDF: {exc}") from exc
    except Exception as exc:  # pdfminer raises assorted errors on damaged files
        raise ParseError(f"unreadable PDF: {type(exc).__name__}: {exc}"[:300]) from exc
    return _classify(boxes)


def _classify(boxes: list[tuple[int, str, float, bool]]) -> list[RawElement]:
    if not boxes:
        return []
    weight = Counter()
    for _, text, size, _ in boxes:
        weight[size] += len(text)
    body = weight.most_common(1)[0][0]
    heading_sizes = sorted({s for _, t, s, _ in boxes if s >= body * 1.12 and len(t) <= 150}, reverse=True)
    level = {s: i for i, s in enumerate(heading_sizes)}
    out = []
    for page, text, size, bold in boxes:
        short = len(text) <= 120 and not text.endswith((".", ":", ";", ","))
        if size in level and short:
            out.append(RawElement(ElementKind.TITLE, text, depth=level[size], page=page))
        elif bold and short and size >= body:
            out.append(RawElement(ElementKind.TITLE, text, depth=len(heading_sizes), page=page))
        elif _BULLET.match(text):
            out.append(RawElement(ElementKind.LIST_ITEM, text, page=page))
        else:
            out.append(RawElement(ElementKind.TEXT, text, page=page))
    return out
