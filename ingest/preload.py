"""Imported once by the parse workers' forkserver (ingest/pipeline.py), so every worker forked from it starts with
the parsers, the tokenizer library and spaCy's model already loaded instead of paying ~3 s of CPU each."""

from __future__ import annotations

import logging


def _warm_up() -> None:
    from grounded.offline import patch_unstructured_spacy

    patch_unstructured_spacy()
    import tokenizers  # noqa: F401
    import trafilatura  # noqa: F401
    from unstructured.partition.docx import partition_docx  # noqa: F401
    from unstructured.partition.html import partition_html
    from unstructured.partition.text import partition_text

    import grounded.ingest.pdf  # noqa: F401
    import grounded.ingest.pipeline  # noqa: F401
    from grounded.ingest.web_page import web_page_elements

    web_page_elements(b"<html><body><nav>Home</nav><main><h1>Warm up</h1><p>One short paragraph. Another sentence "
                      b"follows it, long enough to count as the main content of this page.</p></main></body></html>")

    partition_html(text="<h1>Warm up</h1><p>One short paragraph. Another sentence follows it.</p>")
    partition_text(text="WARM UP\n\nOne short paragraph. Another sentence follows it.")


try:
    _warm_up()
except Exception:  # noqa: BLE001 (a failed warm-up only means workers import lazily; never kill the forkserver)
    logging.getLogger(__name__).warning("parse workers start cold: preloading the parsers failed", exc_info=True)
