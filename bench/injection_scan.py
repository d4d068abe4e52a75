"""How often the prompt-injection detector (grounded/injection.py) flags ordinary text, and what it costs per
document: SciFact abstracts, SQuAD 2.0 paragraphs and the demo corpus (whose `suppliers/` documents and
`it/vendor-notes.txt` are the attacks and must be flagged). Prints a table.

    python bench/injection_scan.py [--evaldata ../shared/evaldata]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from grounded.injection import scan
from grounded.ingest.parse import parse
from grounded.ingest.sources import discover

ROOT = Path(__file__).resolve().parents[1]


def jsonl_texts(path: Path) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(str(r["_id"]), f"{r.get('title') or ''}\n\n{r.get('text') or ''}") for r in rows]


def demo_texts() -> list[tuple[str, str]]:
    return [(d.doc_id, parse(d).text) for d in discover(ROOT / "data" / "demo").documents]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--evaldata", type=Path, default=ROOT.parent / "shared" / "evaldata")
    args = ap.parse_args()
    sets = {
        "SciFact corpus (abstracts)": lambda: jsonl_texts(args.evaldata / "beir_scifact" / "corpus.jsonl"),
        "SQuAD 2.0 dev subset (paragraphs)": lambda: jsonl_texts(args.evaldata / "squad2_dev_open" / "corpus_paragraphs.jsonl"),
        "demo corpus (parsed documents)": demo_texts,
    }
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"| corpus | documents | flagged | ms per document | flagged ids |\n|---|---|---|---|---|")
    for name, load in sets.items():
        docs = load()
        started = time.perf_counter()
        flagged = [doc_id for doc_id, text in docs if scan(text)]
        ms = (time.perf_counter() - started) * 1000 / max(1, len(docs))
        shown = ", ".join(flagged[:10]) + (" …" if len(flagged) > 10 else "")
        print(f"| {name} | {len(docs)} | {len(flagged)} | {ms:.2f} | {shown} |")


if __name__ == "__main__":
    main()
