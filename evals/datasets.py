"""The eval dataset folder format: models, loading with validation, and writers.

A dataset folder holds either ``corpus/`` (document files; doc id = path relative to ``corpus/``,
forward slashes) or ``corpus.jsonl`` (BEIR style ``{"_id", "title", "text"}``; doc id = ``_id``),
plus ``questions.jsonl`` with one :class:`EvalQuestion` per line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

QUESTIONS_FILE = "questions.jsonl"
CORPUS_DIR = "corpus"
CORPUS_JSONL = "corpus.jsonl"


class DatasetError(ValueError):
    """A dataset folder or file does not follow the format; the message names the file and line."""


class CorpusKind(StrEnum):
    """How the corpus of a dataset is stored."""

    FILES = "files"
    JSONL = "jsonl"


class EvalQuestion(BaseModel):
    """One question with its gold references; unknown keys are kept and written back."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answerable: bool
    reference_answers: list[str] = Field(default_factory=list)
    reference_doc_ids: list[str] = Field(default_factory=list)
    reference_contexts: list[str] = Field(default_factory=list)
    category: str | None = None
    expected_status: str | None = None


class CorpusDoc(BaseModel):
    """One line of ``corpus.jsonl``."""

    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(alias="_id", min_length=1)
    title: str = ""
    text: str


class EvalDataset(BaseModel):
    """A loaded dataset folder."""

    root: Path
    corpus_kind: CorpusKind
    questions: list[EvalQuestion]

    @property
    def corpus_path(self) -> Path:
        """The ``corpus/`` folder or the ``corpus.jsonl`` file."""
        return self.root / (CORPUS_DIR if self.corpus_kind is CorpusKind.FILES else CORPUS_JSONL)


def _iter_json_lines(path: Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each non-blank line; raise DatasetError naming the line."""
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{lineno}: invalid JSON: {exc.msg}") from exc
            if not isinstance(obj, dict):
                raise DatasetError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
            yield lineno, obj


def _validation_message(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'line'}: {err['msg']}" for err in exc.errors()
    )


def read_questions(path: Path) -> list[EvalQuestion]:
    """Read and validate a ``questions.jsonl`` file; question ids must be unique."""
    questions: list[EvalQuestion] = []
    seen: dict[str, int] = {}
    for lineno, obj in _iter_json_lines(path):
        try:
            question = EvalQuestion.model_validate(obj)
        except ValidationError as exc:
            raise DatasetError(f"{path}:{lineno}: {_validation_message(exc)}") from exc
        if question.id in seen:
            raise DatasetError(
                f"{path}:{lineno}: duplicate question id {question.id!r} (first on line {seen[question.id]})"
            )
        seen[question.id] = lineno
        questions.append(question)
    return questions


def read_corpus_jsonl(path: Path) -> Iterator[CorpusDoc]:
    """Stream and validate the documents of a ``corpus.jsonl`` file."""
    for lineno, obj in _iter_json_lines(path):
        try:
            yield CorpusDoc.model_validate(obj)
        except ValidationError as exc:
            raise DatasetError(f"{path}:{lineno}: {_validation_message(exc)}") from exc


def corpus_doc_ids(root: Path, kind: CorpusKind) -> set[str]:
    """All doc ids of a dataset's corpus (non-hidden files under ``corpus/``, or jsonl ``_id`` values)."""
    if kind is CorpusKind.JSONL:
        return {doc.id for doc in read_corpus_jsonl(root / CORPUS_JSONL)}
    corpus = root / CORPUS_DIR
    return {
        p.relative_to(corpus).as_posix()
        for p in corpus.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(corpus).parts)
    }


def _corpus_kind(root: Path) -> CorpusKind:
    has_dir = (root / CORPUS_DIR).is_dir()
    has_jsonl = (root / CORPUS_JSONL).is_file()
    if has_dir and has_jsonl:
        raise DatasetError(f"{root}: has both {CORPUS_DIR}/ and {CORPUS_JSONL}; keep exactly one")
    if not (has_dir or has_jsonl):
        raise DatasetError(f"{root}: no corpus; expected a {CORPUS_DIR}/ folder or a {CORPUS_JSONL} file")
    return CorpusKind.FILES if has_dir else CorpusKind.JSONL


def load_dataset(path: Path | str, *, check_doc_ids: bool = True) -> EvalDataset:
    """Load a dataset folder; with ``check_doc_ids`` every reference doc id must exist in the corpus."""
    root = Path(path)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a dataset folder")
    kind = _corpus_kind(root)
    questions_path = root / QUESTIONS_FILE
    if not questions_path.is_file():
        raise DatasetError(f"{root}: missing {QUESTIONS_FILE}")
    questions = read_questions(questions_path)
    if check_doc_ids:
        known = corpus_doc_ids(root, kind)
        for q in questions:
            missing = [d for d in q.reference_doc_ids if d not in known]
            if missing:
                raise DatasetError(
                    f"{questions_path}: question {q.id!r} cites doc ids not in the corpus: {missing}"
                )
    return EvalDataset(root=root, corpus_kind=kind, questions=questions)


def prepare_dataset_dir(out: Path) -> Path:
    """Create ``out`` for a new dataset; refuse to write into a non-empty folder."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out}: exists and is not an empty folder; choose a new output path")
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_questions(path: Path, questions: Iterable[EvalQuestion]) -> None:
    """Write ``questions.jsonl`` (UTF-8, one object per line; unset category/expected_status omitted)."""
    with path.open("w", encoding="utf-8") as fh:
        for q in questions:
            row = q.model_dump(mode="json")
            for key in ("category", "expected_status"):
                if row[key] is None:
                    del row[key]
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_corpus_jsonl(path: Path, docs: Iterable[CorpusDoc]) -> int:
    """Write ``corpus.jsonl`` with exactly ``_id``, ``title``, ``text``; return the number of docs."""
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(json.dumps(doc.model_dump(by_alias=True), ensure_ascii=False) + "\n")
            count += 1
    return count
