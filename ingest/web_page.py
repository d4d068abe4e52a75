"""Web pages: the main content (navigation, headers, footers, sidebars, banners dropped) straight into elements.

trafilatura finds the main content and returns it as its own small XML tree (`head`, `p`, `list`/`item`,
`table`/`row`/`cell`, `code`, `quote`, inline `hi`/`code`/`lb`); that tree is turned into elements here (code
blocks and other preformatted text keep their lines, running text has its whitespace collapsed). Before,
its HTML rendering was partitioned again by unstructured, which cost ~9 of the 10 CPU seconds of parsing 20 doc
pages and split every sentence with inline code into fragments (trafilatura renders inline `<code>` as `<pre>`);
here inline code stays inside its sentence.
"""

from __future__ import annotations

import re
from typing import Iterator

from grounded.contracts import ElementKind
from grounded.ingest.elements import RawElement

_BOILERPLATE = re.compile(r"cookie|consent|banner|navbar|sidebar|footer|breadcrumb|advert|menu|related", re.I)
_HEADING = re.compile(r"h([1-6])")
_PERMALINK = "¶"  # Sphinx's heading anchor: a link, not text


def web_page_elements(data: bytes) -> list[RawElement] | None:
    """For a web page (navigation, header/footer, sidebars, banners around the text), the elements of its main
    content; None for a plain HTML document, which is parsed whole, or when no main content is found."""
    import lxml.html
    import trafilatura

    try:
        tree = lxml.html.fromstring(data)
    except (ValueError, lxml.etree.ParserError):
        return None
    chrome = tree.xpath(
        "//nav|//header|//footer|//aside|//*[@role='navigation' or @role='banner' or @role='contentinfo'"
        " or @role='complementary']"
    )
    if not chrome and not any(_BOILERPLATE.search(f"{el.get('class', '')} {el.get('id', '')}") for el in
                              tree.xpath("//div[@class or @id]|//section[@class or @id]")):
        return None
    extracted = trafilatura.bare_extraction(
        data, include_tables=True, include_links=False, include_images=False, include_comments=False,
        include_formatting=True, favor_recall=True, with_metadata=False,
    )
    body = getattr(extracted, "body", None)
    if body is None:
        return None
    out: list[RawElement] = []
    for child in body:
        _block(child, ElementKind.TEXT, out)
    return out if any(r.text.strip() for r in out) else None


def _block(el, kind: ElementKind, out: list[RawElement]) -> None:
    tag = el.tag
    if tag == "head":
        level = _HEADING.fullmatch(el.get("rend", ""))
        text = _inline(el).removesuffix(_PERMALINK).rstrip()
        out.append(RawElement(ElementKind.TITLE, text, depth=int(level.group(1)) - 1 if level else 1))
    elif tag == "table":
        rows = [" | ".join(_inline(cell) for cell in row.iterchildren("cell")) for row in el.iterchildren("row")]
        out.append(RawElement(ElementKind.TABLE, "\n".join(r for r in rows if r.strip(" |"))))
    elif tag == "list":
        for item in el.iterchildren("item"):
            _flow(item, ElementKind.LIST_ITEM, out)
    elif tag == "code" or (tag == "quote" and _preformatted(el)):
        out.append(RawElement(kind, _code(el)))
    elif tag != "graphic":
        _flow(el, ElementKind.LIST_ITEM if tag == "item" else kind, out)


def _flow(el, kind: ElementKind, out: list[RawElement]) -> None:
    """Running text with its inline children; nested blocks become elements of their own, in document order."""
    parts = [el.text or ""]
    for child in el:
        if _is_block(child, el):
            _emit(parts, kind, out)
            _block(child, kind, out)
            parts = [child.tail or ""]
        else:
            parts.extend([*_texts(child), child.tail or ""])
    _emit(parts, kind, out)


def _is_block(child, parent) -> bool:
    if child.tag in ("list", "table", "p", "quote", "head", "div"):
        return True
    if child.tag != "code" or parent.tag in ("p", "head", "cell"):
        return False
    # in a list item or quote: a multi-line code with nothing after it is a code block, else inline code
    return "\n" in (child.text or "").strip() and not (child.tail or "").strip()


def _preformatted(el) -> bool:
    """trafilatura renders a `<pre>` it does not take for code as a quote of plain lines: keep them as lines."""
    return "\n" in "".join(_texts(el)).strip() and not any(_is_block(child, el) for child in el)


def _emit(parts: list[str], kind: ElementKind, out: list[RawElement]) -> None:
    text = " ".join("".join(parts).split())
    if text:
        out.append(RawElement(kind, text))


def _inline(el) -> str:
    """An element's text with its inline children, whitespace collapsed."""
    return " ".join("".join(_texts(el)).split())


def _texts(el) -> Iterator[str]:
    """The text pieces of an element and its descendants in order; a line break is a space."""
    yield el.text or ""
    for child in el:
        if child.tag == "lb":
            yield " "
        else:
            yield from _texts(child)
        yield child.tail or ""


def _code(el) -> str:
    """A code block as its lines, trailing spaces and blank edge lines removed."""
    lines = [line.rstrip() for line in "".join(_texts(el)).splitlines()]
    return "\n".join(lines).strip("\n")
