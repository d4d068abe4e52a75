"""Web pages: what main-content extraction (trafilatura) keeps and drops, on real pages.

    python bench/web_pages.py [--evaldata ../shared/evaldata] [--show 5]

For each page of python311_docs/html (Sphinx pages: navigation bars, sidebars, footers around the text):
- before: the whole page partitioned by unstructured, chunked as before (a heading opens its own chunk run);
- after:  `ingest.parse.parse` (trafilatura main content for web pages) and `chunk_document` (heading-only runs
  merged into their section).
Content kept = share of the "before" text elements (paragraphs, list items, tables; >= 6 words) whose text is
still found in the "after" text (compared with all whitespace removed). The paragraphs that were dropped are printed (first
--show), so one can check they are navigation/footer text rather than content. Also: chunks, lone-heading chunks,
tables, characters.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DEFAULT_EVALDATA, table, uptime_line  # noqa: E402
import grounded.ingest.chunk as chunk_mod  # noqa: E402
import grounded.ingest.parse as parse_mod  # noqa: E402
from grounded.contracts import ElementKind  # noqa: E402
from grounded.embedder import default_model_path, token_counter  # noqa: E402
from grounded.ingest.sources import discover  # noqa: E402


def norm(text: str) -> str:
    """Whitespace and Sphinx's heading anchors (¶) removed: the whole-page partition and the main content lay
    lines out differently."""
    return re.sub(r"\s+", "", text.replace("¶", "")).lower()


def old_sections(elements):
    """The chunker's section runs before heading-only runs were merged (for the 'before' column)."""
    sections = []
    for el in elements:
        if not sections or el.kind is ElementKind.TITLE or el.section_path != sections[-1][-1].section_path:
            sections.append([el])
        else:
            sections[-1].append(el)
    return sections


def measure(doc, count, whole_page: bool, old_chunker: bool):
    original_main, original_sections = parse_mod.web_page_elements, chunk_mod._sections
    if whole_page:
        parse_mod.web_page_elements = lambda data: None
    if old_chunker:
        chunk_mod._sections = old_sections
    try:
        parsed = parse_mod.parse(doc)
        chunks = chunk_mod.chunk_document(parsed, 220, 24, count)
    finally:
        parse_mod.web_page_elements, chunk_mod._sections = original_main, original_sections
    titles = {e.text for e in parsed.elements if e.kind is ElementKind.TITLE}
    lone = sum(1 for c in chunks if c.text.strip() in titles)
    return parsed, chunks, lone


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--evaldata", type=Path, default=DEFAULT_EVALDATA)
    ap.add_argument("--show", type=int, default=8, help="dropped paragraphs to print")
    args = ap.parse_args()
    pages = args.evaldata / "python311_docs" / "html"
    count = token_counter(str(default_model_path() / "tokenizer.json"))
    print(f"start {uptime_line()}")
    totals = {k: 0 for k in ("pages", "web", "el_before", "kept", "chunks_before", "chunks_after", "lone_before",
                             "lone_after", "tables_before", "tables_after", "chars_before", "chars_after")}
    dropped: list[tuple[str, str]] = []
    for doc in discover(pages).documents:
        before, chunks_b, lone_b = measure(doc, count, whole_page=True, old_chunker=True)
        after, chunks_a, lone_a = measure(doc, count, whole_page=False, old_chunker=False)
        totals["pages"] += 1
        totals["web"] += parse_mod.web_page_elements(Path(doc.source).read_bytes()) is not None
        after_text = norm(after.text)
        for el in before.elements:
            if el.kind is ElementKind.TITLE or len(el.text.split()) < 6:
                continue
            totals["el_before"] += 1
            if norm(el.text) in after_text:
                totals["kept"] += 1
            else:
                dropped.append((doc.doc_id, el.text))
        totals["chunks_before"] += len(chunks_b)
        totals["chunks_after"] += len(chunks_a)
        totals["lone_before"] += lone_b
        totals["lone_after"] += lone_a
        totals["tables_before"] += sum(e.kind is ElementKind.TABLE for e in before.elements)
        totals["tables_after"] += sum(e.kind is ElementKind.TABLE for e in after.elements)
        totals["chars_before"] += len(before.text)
        totals["chars_after"] += len(after.text)
    t = totals
    print(table(
        ["", "before (whole page)", "after (main content)"],
        [
            ["pages (web pages detected)", t["pages"], f"{t['pages']} ({t['web']})"],
            ["chunks", t["chunks_before"], t["chunks_after"]],
            ["lone-heading chunks", t["lone_before"], t["lone_after"]],
            ["tables", t["tables_before"], t["tables_after"]],
            ["characters", t["chars_before"], t["chars_after"]],
            ["text elements (>= 6 words) kept", t["el_before"], f"{t['kept']} ({t['kept'] / max(1, t['el_before']):.1%})"],
        ],
    ))
    print(f"dropped elements: {len(dropped)}; first {args.show}:")
    for doc_id, text in dropped[: args.show]:
        print(f"  {doc_id}: {text[:160]!r}")
    print(f"end {uptime_line()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
