"""Issue 9's ingest leftovers, through `grounded ingest` as a user runs it: a file whose parse outlasts the limit
fails alone with its reason (its worker is replaced, the next file is parsed); no text is dropped silently —
every word lands in a chunk that fits the embedder's window (long tables, long table rows, long headings,
run-on text, giant words), and text nested deeper than HTML parsers go is kept."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

GROUNDED = [sys.executable, "-m", "grounded.cli"]
WINDOW = 256  # the embedder's max_seq_length (EmbedSettings default)
PAYLOAD = ["doc_id", "title", "section", "text", "char_start", "char_end"]


def grounded(args: list[str], home: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(GROUNDED + args, env={**os.environ, "GROUNDED_HOME": str(home), **env},
                          capture_output=True, text=True, timeout=900)


def stored_chunks(home: Path, collection: str) -> list[dict]:
    """Every chunk's payload, read in a fresh process after the CLI exited (the shard is single-process)."""
    code = (
        "import json; from grounded.settings import Settings; from grounded.store import open_store;"
        f"s=open_store(Settings(home={str(home)!r}));"
        f"print(json.dumps(list(s.payloads({collection!r}, {PAYLOAD!r}))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    return json.loads(out.stdout)


def huge_text(n_bytes: int) -> str:
    lines, i = [], 0
    while sum(len(line) + 1 for line in lines) < n_bytes:
        lines.append(f"Entry {i} of the archive notes that shipment {i * 7} left depot {i % 13} at {i % 24}:00."
                     + ("\n" if i % 5 == 4 else ""))
        i += 1
    return "\n".join(lines)


def test_a_parse_over_the_time_limit_fails_alone_and_the_next_file_is_parsed(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a-archive.txt").write_text(huge_text(1_000_000))  # minutes to parse on 2 cores; the limit is 3 s
    (corpus / "b-leave.md").write_text("# Leave\n\nEmployees receive 28 days of paid annual leave per year.\n")
    res = grounded(["ingest", str(corpus), "-c", "limits", "--json"], tmp_path / "home",
                   GROUNDED_INGEST__PARSE_TIMEOUT_S="3")
    assert res.returncode == 3, res.stderr  # partial: one file failed
    report = json.loads(res.stdout)
    assert [f["path"] for f in report["failed"]] == ["a-archive.txt"]
    assert "longer than the 3 s limit" in report["failed"][0]["error"]
    assert report["added"] == 1 and report["chunks"] >= 1  # parsed after the worker was replaced
    assert {c["doc_id"] for c in stored_chunks(tmp_path / "home", "limits")} == {"b-leave.md"}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z0-9]{3,}", text))


def covered_text(chunks: list[dict]) -> str:
    """A document's text as its chunks cover it (chunks are exact slices: overlaps merged, adjacent pieces of one
    cut word joined, a gap between chunks read as a space)."""
    out, end = [], 0
    for c in sorted(chunks, key=lambda c: c["char_start"]):
        if c["char_end"] <= end:
            continue
        out.append(c["text"][max(0, end - c["char_start"]):] if c["char_start"] <= end else " " + c["text"])
        end = c["char_end"]
    return "".join(out)


def test_every_word_lands_in_a_chunk_that_fits_the_embedders_window(tmp_path):
    from grounded.embedder import default_model_path, token_counter

    count = token_counter(str(default_model_path() / "tokenizer.json"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = "\n".join(f"| part {i} | alloy grade {i * 3} | tolerance {i}.{i % 7} mm |" for i in range(90))
    long_row = "| notes | " + " ".join(f"remark{i}" for i in range(400)) + " |"
    (corpus / "parts.md").write_text(f"# Parts list\n\n| part | material | tolerance |\n|---|---|---|\n{rows}\n"
                                     f"{long_row}\n")
    heading = " ".join(f"heading{i}" for i in range(40))
    body = " ".join(f"Clause {i} binds supplier{i} to deliver crate{i} within {i} days." for i in range(60))
    (corpus / "contract.md").write_text(f"# Master agreement {heading}\n\n## Section {heading}\n\n{body}\n")
    giant_word = "-".join(f"seg{i}" for i in range(500))  # one "word" of ~1,500 word pieces (a URL, a hash list)
    (corpus / "runon.txt").write_text(" ".join(f"token{i}" for i in range(900)) + " " + giant_word + "\n")
    res = grounded(["ingest", str(corpus), "-c", "window", "--json"], tmp_path / "home")
    assert res.returncode == 0, res.stderr

    chunks = stored_chunks(tmp_path / "home", "window")
    for chunk in chunks:
        head = " > ".join(p for p in (chunk["title"], chunk["section"]) if p)
        embedded = f"{head}\n{chunk['text']}" if head else chunk["text"]
        assert count(embedded) + 2 <= WINDOW, (chunk["doc_id"], count(embedded))  # [CLS] text [SEP] fits
    for name in ("parts.md", "contract.md", "runon.txt"):
        missing = _words((corpus / name).read_text()) - _words(covered_text([c for c in chunks if c["doc_id"] == name]))
        assert not missing, (name, sorted(missing)[:10])


def deep_html(depth: int) -> str:
    return ("<html><head><title>Deep page</title></head><body><h1>Deep page</h1><p>Alphaword opens the page.</p>"
            + "<div><span>layer</span>" * depth + "<p>Bravoword sits deep inside.</p>" + "</div>" * depth
            + "<p>Charlieword closes the page.</p></body></html>")


def test_text_nested_deeper_than_html_parsers_go_is_kept(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "deep.html").write_text(deep_html(300))  # libxml2 stops at 255 levels
    (corpus / "deep.md").write_text("# Deep notes\n\nAlphaword first.\n\n" + "> " * 300
                                    + "Bravoword quoted deep.\n\nCharlieword after the quote.\n")
    res = grounded(["ingest", str(corpus), "-c", "deep", "--json"], tmp_path / "home")
    assert res.returncode == 0, res.stderr
    chunks = stored_chunks(tmp_path / "home", "deep")
    for name in ("deep.html", "deep.md"):
        text = " ".join(c["text"] for c in chunks if c["doc_id"] == name)
        assert {"Alphaword", "Bravoword", "Charlieword"} <= _words(text), (name, text[:300])
