"""Parse one document into structural elements with unstructured (PDF: ingest/pdf.py; a web page's main content:
ingest/web_page.py), keeping titles, section paths, page numbers and whole tables, and lay them out as one text
with character offsets."""

from __future__ import annotations

import re
from pathlib import Path

from grounded.contracts import Element, ElementKind, ParsedDocument, SourceDocument, SourceFormat
from grounded.ingest.elements import ParseError, RawElement
from grounded.ingest.encoding import NotText, decode_text
from grounded.ingest.html_depth import flatten, too_deep
from grounded.ingest.web_page import web_page_elements
from grounded.offline import patch_unstructured_spacy

SEPARATOR = "\n\n"


def parse(doc: SourceDocument) -> ParsedDocument:
    raws = _raw_elements(doc)
    raws = [r for r in raws if r.text.strip()]
    if not raws:
        raise ParseError("no text could be extracted (empty, scanned or image-only document)")
    title = doc.title or next((r.text for r in raws if r.kind is ElementKind.TITLE), None) or _stem(doc.doc_id)
    return layout(doc, title.strip(), raws)


def layout(doc: SourceDocument, title: str, raws: list[RawElement]) -> ParsedDocument:
    """Join elements into the parsed text and give each its offsets and section path."""
    stack: list[tuple[int, str]] = []
    elements: list[Element] = []
    parts: list[str] = []
    cursor = 0
    for raw in raws:
        text = raw.text.strip()
        if raw.kind is ElementKind.TITLE:
            depth = raw.depth or 0
            while stack and stack[-1][0] >= depth:
                stack.pop()
            stack.append((depth, text))
        if parts:
            cursor += len(SEPARATOR)
        start = cursor
        parts.append(text)
        cursor += len(text)
        elements.append(
            Element(
                kind=raw.kind,
                text=text,
                section_path=[t for _, t in stack],
                page=raw.page,
                char_start=start,
                char_end=cursor,
            )
        )
    return ParsedDocument(
        doc_id=doc.doc_id,
        source=doc.source,
        format=doc.format,
        content_hash=doc.content_hash,
        title=title,
        text=SEPARATOR.join(parts),
        elements=elements,
    )


def _stem(doc_id: str) -> str:
    return Path(doc_id).stem.replace("-", " ").replace("_", " ")


def _raw_elements(doc: SourceDocument) -> list[RawElement]:
    if doc.format is SourceFormat.JSONL:
        return [RawElement(ElementKind.TEXT, doc.inline_text or "")]
    path = Path(doc.source)
    if doc.format is SourceFormat.PDF:
        from grounded.ingest.pdf import pdf_elements

        return pdf_elements(path)
    text = _read_text(path) if doc.format in (SourceFormat.TXT, SourceFormat.MD) else None
    raws = _unstructured_elements(doc.format, path, text)
    return plain_text_headings(raws) if doc.format is SourceFormat.TXT else raws


def _read_text(path: Path) -> str:
    try:
        return decode_text(path.read_bytes())
    except NotText as exc:
        raise ParseError(str(exc)) from exc


def _unstructured_elements(fmt: SourceFormat, path: Path, text: str | None = None) -> list[RawElement]:
    patch_unstructured_spacy()
    try:
        if fmt is SourceFormat.HTML:
            return _html_elements(path)
        if fmt is SourceFormat.MD:
            elements = _markdown_partition(text or "")
        elif fmt is SourceFormat.DOCX:
            from unstructured.partition.docx import partition_docx

            elements = partition_docx(filename=str(path))
        else:
            from unstructured.partition.text import partition_text

            elements = partition_text(text=text)
    except ParseError:
        raise
    except Exception as exc:  # unstructured raises many types for a corrupt file; each fails alone
        raise ParseError(f"{type(exc).__name__}: {exc}".strip()[:300]) from exc
    return _converted(elements)


def _converted(elements: list) -> list[RawElement]:
    return [r for e in elements if (r := _convert(e)) is not None]


def _html_elements(path: Path) -> list[RawElement]:
    """A web page's main content (ingest/web_page.py), else the whole page partitioned by unstructured; nesting
    too deep for lxml flattened first."""
    from unstructured.partition.html import partition_html

    data = path.read_bytes()
    markup = flatten(decode_text(data)) if too_deep(data) else None
    main = web_page_elements(markup.encode("utf-8", "surrogatepass") if markup is not None else data)
    if main is not None:
        return main
    return _converted(partition_html(text=markup) if markup is not None else partition_html(filename=str(path)))


def _markdown_partition(text: str) -> list:
    """What unstructured's partition_md does (markdown -> HTML -> partition_html), with the HTML's nesting checked."""
    import markdown
    from unstructured.partition.html import partition_html

    markup = markdown.markdown(text, extensions=["tables", "fenced_code"])
    return partition_html(text=flatten(markup) if too_deep(markup) else markup)


_SKIPPED = {"Header", "Footer", "PageBreak", "PageNumber", "Image", "FigureCaption"}


def _convert(element) -> RawElement | None:
    category = element.category
    meta = element.metadata
    page = getattr(meta, "page_number", None)
    if category in _SKIPPED:
        return None
    if category == "Title":
        return RawElement(ElementKind.TITLE, element.text, depth=getattr(meta, "category_depth", None) or 0, page=page)
    if category == "Table":
        html = getattr(meta, "text_as_html", None)
        return RawElement(ElementKind.TABLE, table_text(html) if html else element.text, page=page)
    if category == "ListItem":
        return RawElement(ElementKind.LIST_ITEM, element.text, page=page)
    return RawElement(ElementKind.TEXT, element.text, page=page)


_RULE = re.compile(r"^\s*([-=_*~#])\1{3,}\s*$")
_WRAPPED = re.compile(r"^\s*(=+|#+)\s*(.+?)\s*\1?\s*$")
_NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+\S")


def plain_text_headings(raws: list[RawElement]) -> list[RawElement]:
    """Plain-text heading conventions unstructured does not read: lines between rules (----), '== Title ==',
    short ALL-CAPS lines and short numbered lines ('2.1 Warranty period'). Depth follows the numbering."""
    out: list[RawElement] = []
    for i, raw in enumerate(raws):
        text = raw.text.strip()
        if _RULE.match(text):
            continue
        wrapped = _WRAPPED.match(text)
        if wrapped and text[0] in "=#" and len(text) < 100:
            out.append(RawElement(ElementKind.TITLE, wrapped.group(2), depth=1, page=raw.page))
            continue
        short = len(text.split()) <= 10 and not text.endswith((".", ":", ";", ",")) and ":" not in text
        numbered = _NUMBERED.match(text)
        if short and numbered:
            depth = numbered.group(1).count(".") + 1
            out.append(RawElement(ElementKind.TITLE, text, depth=depth, page=raw.page))
        elif short and text.isupper():
            out.append(RawElement(ElementKind.TITLE, text, depth=0 if not out else 1, page=raw.page))
        elif raw.kind is ElementKind.TITLE and not short:
            out.append(RawElement(ElementKind.TEXT, text, page=raw.page))
        else:
            out.append(raw)
    return out


def table_text(html: str) -> str:
    """A table as one row per line, cells separated by ' | ', so rows stay readable and quotable."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    rows = []
    for tr in soup.find_all("tr"):
        cells = [" ".join(c.get_text(" ", strip=True).split()) for c in tr.find_all(["th", "td"])]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)
