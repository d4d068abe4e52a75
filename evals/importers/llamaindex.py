"""LlamaIndex LabelledRagDataset folder (rag_dataset.json + source_files/) → dataset folder."""

import json
import shutil
from pathlib import Path

from pydantic import BaseModel, ValidationError

from grounded.evals.datasets import (
    CORPUS_DIR,
    QUESTIONS_FILE,
    DatasetError,
    EvalDataset,
    EvalQuestion,
    load_dataset,
    prepare_dataset_dir,
    write_questions,
)


class _Example(BaseModel):
    query: str
    reference_contexts: list[str] = []
    reference_answer: str


class _RagDataset(BaseModel):
    examples: list[_Example]


def _read_gold_pages(path: Path, examples: list[_Example]) -> dict[int, list[int]]:
    """Read ``gold_pages.jsonl`` (example_index, query, gold_pdf_pages); each query must match its example."""
    pages: dict[int, list[int]] = {}
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                index, query, gold = int(row["example_index"]), row["query"], row["gold_pdf_pages"]
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise DatasetError(
                    f"{path}:{lineno}: expected example_index, query, gold_pdf_pages: {exc}"
                ) from exc
            if not 0 <= index < len(examples) or examples[index].query != query:
                raise DatasetError(f"{path}:{lineno}: example {index} does not match rag_dataset.json")
            pages[index] = [int(p) for p in gold]
    return pages


def import_llamaindex(src: Path, out: Path, limit: int | None = None) -> EvalDataset:
    """Convert a LlamaIndex rag dataset: copy ``source_files/`` to ``corpus/``, one question per example.

    Question ids are ``q0000``, ``q0001``, ... (the example index). When the corpus is a single file it
    is each question's ``reference_doc_ids``; with several files the source is unknown and the list stays
    empty. A ``gold_pages.jsonl`` next to the dataset adds ``gold_pages`` (1-based PDF pages) per question.
    """
    try:
        dataset = _RagDataset.model_validate_json((src / "rag_dataset.json").read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        raise DatasetError(f"{src / 'rag_dataset.json'}: not a LlamaIndex rag dataset: {exc}") from exc
    sources = src / "source_files"
    if not sources.is_dir():
        raise DatasetError(f"{src}: missing source_files/")
    gold_path = src / "gold_pages.jsonl"
    gold_pages = _read_gold_pages(gold_path, dataset.examples) if gold_path.is_file() else {}

    prepare_dataset_dir(out)
    shutil.copytree(sources, out / CORPUS_DIR)
    files = sorted(p.relative_to(sources).as_posix() for p in sources.rglob("*") if p.is_file())
    doc_ids = files if len(files) == 1 else []

    questions = []
    for i, example in enumerate(dataset.examples[:limit]):
        extra = {"gold_pages": gold_pages[i]} if i in gold_pages else {}
        questions.append(
            EvalQuestion(
                id=f"q{i:04d}",
                question=example.query,
                answerable=True,
                reference_answers=[example.reference_answer],
                reference_contexts=example.reference_contexts,
                reference_doc_ids=doc_ids,
                **extra,
            )
        )
    write_questions(out / QUESTIONS_FILE, questions)
    return load_dataset(out)
