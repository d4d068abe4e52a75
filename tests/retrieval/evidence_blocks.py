"""Retrieved chunks built by hand for the pure-logic tests: block `n` is chunk c{n} of document d{n}, titled 'Doc n'."""

from __future__ import annotations

from grounded.contracts import Chunk, Evidence, SourceFormat


def block(text: str, n: int = 1, dense: float | None = None) -> Evidence:
    """One chunk holding `text`, ranked `n` (score 1/n), with a dense score where the logic under test reads one."""
    chunk = Chunk(chunk_id=f"c{n}", doc_id=f"d{n}", source=f"doc{n}.md", format=SourceFormat.MD, title=f"Doc {n}",
                  section="", page=None, char_start=0, char_end=len(text), text=text, content_hash="h", index=0,
                  n_chunks=1)
    return Evidence(chunk=chunk, score=1.0 / n, dense_score=dense)
