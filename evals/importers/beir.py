"""BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv) → dataset folder."""

import csv
from pathlib import Path

from grounded.evals.datasets import (
    CORPUS_JSONL,
    QUESTIONS_FILE,
    DatasetError,
    EvalDataset,
    EvalQuestion,
    load_dataset,
    prepare_dataset_dir,
    read_corpus_jsonl,
    write_corpus_jsonl,
    write_questions,
)


def read_qrels(path: Path) -> dict[str, list[str]]:
    """Read a BEIR qrels TSV (header, then query-id, corpus-id, score); keep pairs with score > 0.

    Queries keep the order of their first appearance; doc ids keep file order.
    """
    qrels: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh, delimiter="\t")
        header = next(rows, None)
        if header is None or [h.strip() for h in header[:2]] != ["query-id", "corpus-id"]:
            raise DatasetError(f"{path}: expected a 'query-id<TAB>corpus-id<TAB>score' header")
        for lineno, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) != 3:
                raise DatasetError(f"{path}:{lineno}: expected 3 tab-separated columns, got {len(row)}")
            query_id, doc_id, score = row
            try:
                relevant = float(score) > 0
            except ValueError as exc:
                raise DatasetError(f"{path}:{lineno}: score {score!r} is not a number") from exc
            if relevant and doc_id not in qrels.setdefault(query_id, []):
                qrels[query_id].append(doc_id)
    return {q: docs for q, docs in qrels.items() if docs}


def import_beir(src: Path, out: Path, limit: int | None = None, *, split: str = "test") -> EvalDataset:
    """Convert a BEIR folder: the whole corpus, and the queries of ``split`` (first ``limit`` of them).

    Questions are answerable, with ``reference_doc_ids`` from the qrels and no reference answers.
    """
    qrels_path = src / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        raise DatasetError(f"{src}: no qrels for split {split!r} ({qrels_path} missing)")
    qrels = read_qrels(qrels_path)
    query_ids = list(qrels)[:limit]
    wanted = set(query_ids)
    texts: dict[str, str] = {}
    for doc in read_corpus_jsonl(src / "queries.jsonl"):
        if doc.id in wanted:
            texts[doc.id] = doc.text
    missing = [q for q in query_ids if q not in texts]
    if missing:
        raise DatasetError(f"{src / 'queries.jsonl'}: qrels query ids not found: {missing[:5]}")

    prepare_dataset_dir(out)
    write_corpus_jsonl(out / CORPUS_JSONL, read_corpus_jsonl(src / "corpus.jsonl"))
    write_questions(
        out / QUESTIONS_FILE,
        (
            EvalQuestion(id=q, question=texts[q], answerable=True, reference_doc_ids=qrels[q])
            for q in query_ids
        ),
    )
    return load_dataset(out)
