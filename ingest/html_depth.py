"""HTML nested deeper than libxml2 parses (255 levels): lxml, and so unstructured and trafilatura, stop at that
depth and silently drop the rest of the document. Such a document is flattened first: tags past KEEP_DEPTH are
dropped and their text kept, separated by line breaks. Python's own `html.parser` does the rewrite because it
has no depth limit (written here: no library flattens HTML by depth)."""

from __future__ import annotations

import html
from html.parser import HTMLParser

KEEP_DEPTH = 100
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def too_deep(markup: str | bytes) -> bool:
    """True when libxml2 gave up on the nesting depth (what every lxml-based parser here would hit)."""
    from lxml import etree

    parser = etree.HTMLParser()
    data = markup.encode("utf-8", "surrogatepass") if isinstance(markup, str) else markup
    try:
        etree.fromstring(data, parser)
    except (ValueError, etree.ParserError):
        return False
    return any("depth" in entry.message.lower() for entry in parser.error_log)


def flatten(markup: str) -> str:
    """`markup` with no element nested deeper than KEEP_DEPTH; every text node kept in order."""
    flattener = _Flattener()
    flattener.feed(markup)
    flattener.close()
    return "".join(flattener.out)


class _Flattener(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[tuple[str, bool]] = []  # (tag, written)
        self.depth = 0  # written tags open

    def handle_starttag(self, tag: str, attrs) -> None:
        write = self.depth < KEEP_DEPTH
        self.out.append(self.get_starttag_text() if write else "\n")
        if tag not in _VOID:
            self.open.append((tag, write))
            self.depth += write

    def handle_startendtag(self, tag: str, attrs) -> None:
        self.out.append(self.get_starttag_text() if self.depth < KEEP_DEPTH else "\n")

    def handle_endtag(self, tag: str) -> None:
        if not any(t == tag for t, _ in self.open):
            return
        while self.open:
            t, written = self.open.pop()
            self.depth -= written
            self.out.append(f"</{t}>" if written else "\n")
            if t == tag:
                return

    def handle_data(self, data: str) -> None:
        raw = self.open and self.open[-1][0] in ("script", "style")
        self.out.append(data if raw else html.escape(data, quote=False))

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")

    def close(self) -> None:
        super().close()
        while self.open:
            t, written = self.open.pop()
            if written:
                self.out.append(f"</{t}>")
