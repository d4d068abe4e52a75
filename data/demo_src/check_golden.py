#!/usr/bin/env python3
"""Validate data/golden/questions.jsonl against the demo corpus in data/demo/.

Checks: schema of every record, unique ids, every reference_doc_id exists, and
every reference_context / reference_answer occurs verbatim in the extracted
text of one of its reference documents (whitespace normalised; HTML tags
stripped; PDF text via pypdf; DOCX via python-docx, table rows as cells joined
by spaces). Also reports how many corpus documents contain each answer string
(a hint that a fact is not unique).

Usage: /tmp/demo-venv/bin/python data/demo_src/check_golden.py
Exit code 0 if everything passes, 1 otherwise.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent
DEMO = DATA / "demo"
GOLDEN = DATA / "golden" / "questions.jsonl"

CATEGORIES = {"typical", "multi_doc", "unanswerable", "vague", "injection", "schema"}
STATUSES = {"answered", "no_answer", "needs_clarification", "refused"}
FIELDS = {"id", "question", "answerable", "reference_answers", "reference_doc_ids",
          "reference_contexts", "category", "expected_status"}
OPTIONAL = {"attack"}  # injection questions name the attack style of their document


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def extract(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".md", ".txt"):
        return path.read_text(encoding="utf-8")
    if suffix in (".html", ".htm"):
        raw = path.read_text(encoding="utf-8")
        raw = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", raw)
        return html.unescape(re.sub(r"<[^>]+>", " ", raw))
    if suffix == ".pdf":
        from pypdf import PdfReader
        return "\n".join(p.extract_text() or "" for p in PdfReader(str(path)).pages)
    if suffix == ".docx":
        from docx import Document
        d = Document(str(path))
        parts = [p.text for p in d.paragraphs]
        for t in d.tables:
            for row in t.rows:
                parts.append(" ".join(c.text for c in row.cells))
        return "\n".join(parts)
    raise ValueError(f"unsupported format: {path}")


def main() -> int:
    corpus = {p.relative_to(DEMO).as_posix(): norm(extract(p))
              for p in sorted(DEMO.rglob("*")) if p.is_file()}
    errors: list[str] = []
    ids = set()
    records = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line.strip()]
    for r in records:
        rid = r.get("id", "?")
        if not FIELDS <= set(r) <= FIELDS | OPTIONAL:
            errors.append(f"{rid}: fields {sorted((set(r) - OPTIONAL) ^ FIELDS)} missing/extra")
            continue
        if rid in ids:
            errors.append(f"{rid}: duplicate id")
        ids.add(rid)
        if r["category"] not in CATEGORIES:
            errors.append(f"{rid}: bad category {r['category']}")
        if r["expected_status"] not in STATUSES:
            errors.append(f"{rid}: bad expected_status {r['expected_status']}")
        if r["answerable"] != (r["expected_status"] == "answered"):
            errors.append(f"{rid}: answerable={r['answerable']} vs status {r['expected_status']}")
        if not r["answerable"] and (r["reference_answers"] or r["reference_doc_ids"] or r["reference_contexts"]):
            errors.append(f"{rid}: unanswerable question has references")
        if r["answerable"] and not (r["reference_answers"] and r["reference_doc_ids"] and r["reference_contexts"]):
            errors.append(f"{rid}: answerable question lacks references")
        texts = []
        for d in r["reference_doc_ids"]:
            if d not in corpus:
                errors.append(f"{rid}: missing document {d}")
            else:
                texts.append(corpus[d])
        for kind in ("reference_contexts", "reference_answers"):
            for s in r[kind]:
                if not any(norm(s) in t for t in texts):
                    errors.append(f"{rid}: {kind[10:-1]} not found verbatim: {s!r}")
        if r["category"] == "multi_doc":
            for d, t in zip(r["reference_doc_ids"], texts):
                if not any(norm(c) in t for c in r["reference_contexts"]):
                    errors.append(f"{rid}: no context taken from {d}")
        for a in r["reference_answers"]:
            hits = [d for d, t in corpus.items() if norm(a) in t]
            if len(hits) > 1 and r["category"] == "typical":
                print(f"note {rid}: answer {a!r} occurs in {len(hits)} documents: {hits}")

    cats: dict[str, int] = {}
    for r in records:
        cats[r["category"]] = cats.get(r["category"], 0) + 1
    print(f"{len(records)} questions, {len(corpus)} documents; categories: {cats}")
    for e in errors:
        print("ERROR", e)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
