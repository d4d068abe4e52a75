"""SQuAD 2.0 JSON → dataset folder with one corpus document per paragraph."""

import json
from pathlib import Path

from pydantic import BaseModel, ValidationError

from grounded.evals.datasets import (
    CORPUS_JSONL,
    QUESTIONS_FILE,
    CorpusDoc,
    DatasetError,
    EvalDataset,
    EvalQuestion,
    load_dataset,
    prepare_dataset_dir,
    write_corpus_jsonl,
    write_questions,
)


class _Answer(BaseModel):
    text: str


class _Qa(BaseModel):
    id: str
    question: str
    is_impossible: bool = False
    answers: list[_Answer] = []


class _Paragraph(BaseModel):
    context: str
    qas: list[_Qa]


class _Article(BaseModel):
    title: str
    paragraphs: list[_Paragraph]


class _Squad(BaseModel):
    data: list[_Article]


def _resolve_source(src: Path) -> Path:
    """Accept the JSON file itself, or a folder holding exactly one ``*.json`` file."""
    if src.is_file():
        return src
    candidates = sorted(src.glob("*.json"))
    if len(candidates) != 1:
        raise DatasetError(f"{src}: pass the SQuAD JSON file; found {len(candidates)} *.json files here")
    return candidates[0]


def _question(title: str, index: int, paragraph: _Paragraph, qa: _Qa) -> EvalQuestion:
    answerable = not qa.is_impossible
    return EvalQuestion(
        id=qa.id,
        question=qa.question,
        answerable=answerable,
        reference_answers=list(dict.fromkeys(a.text for a in qa.answers)) if answerable else [],
        reference_doc_ids=[f"{title}#{index}"] if answerable else [],
        reference_contexts=[paragraph.context] if answerable else [],
        category=title,
    )


def import_squad2(
    src: Path, out: Path, limit: int | None = None, *, articles: int | None = None
) -> EvalDataset:
    """Convert SQuAD 2.0: the first ``articles`` articles, then the first ``limit`` questions in file order.

    The corpus holds every paragraph of each article that contributes a question
    (``_id`` = ``"<Article>#<paragraph index>"``, title = article title). Answerable questions get
    their distinct gold answers, paragraph id and paragraph text; unanswerable ones get empty references.
    ``category`` is the article title.
    """
    path = _resolve_source(src)
    try:
        squad = _Squad.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise DatasetError(f"{path}: not a SQuAD 2.0 JSON file: {exc}") from exc

    selected = squad.data[:articles]
    rows = [(a, i, p, qa) for a in selected for i, p in enumerate(a.paragraphs) for qa in p.qas][:limit]
    questions = [_question(article.title, i, paragraph, qa) for article, i, paragraph, qa in rows]
    used = {id(article) for article, *_ in rows}
    used_articles = [a for a in selected if id(a) in used]

    prepare_dataset_dir(out)
    write_corpus_jsonl(
        out / CORPUS_JSONL,
        (
            CorpusDoc(id=f"{a.title}#{i}", title=a.title, text=p.context)
            for a in used_articles
            for i, p in enumerate(a.paragraphs)
        ),
    )
    write_questions(out / QUESTIONS_FILE, questions)
    return load_dataset(out)
