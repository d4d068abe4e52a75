import json
from pathlib import Path

import pytest

from grounded.evals.datasets import (
    CorpusDoc,
    CorpusKind,
    DatasetError,
    EvalQuestion,
    load_dataset,
    prepare_dataset_dir,
    write_corpus_jsonl,
    write_questions,
)

pytestmark = pytest.mark.unit


def _write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _q(**kw) -> str:
    row = {"id": "q1", "question": "Why?", "answerable": True}
    row.update(kw)
    return json.dumps(row)


def test_files_corpus_round_trip_keeps_extra_keys(tmp_path: Path) -> None:
    (tmp_path / "corpus" / "hr").mkdir(parents=True)
    (tmp_path / "corpus" / "hr" / "leave.md").write_text("# Leave\n")
    (tmp_path / "corpus" / ".hidden").write_text("x")
    _write_lines(
        tmp_path / "questions.jsonl",
        [
            _q(reference_doc_ids=["hr/leave.md"], category="hr", difficulty="easy"),
            "",
            _q(id="q2", answerable=False),
        ],
    )
    ds = load_dataset(tmp_path)
    assert ds.corpus_kind is CorpusKind.FILES
    assert ds.corpus_path == tmp_path / "corpus"
    assert [q.id for q in ds.questions] == ["q1", "q2"]
    assert ds.questions[0].category == "hr"
    assert ds.questions[0].model_extra == {"difficulty": "easy"}
    assert ds.questions[1].reference_answers == [] and ds.questions[1].expected_status is None

    write_questions(tmp_path / "questions.jsonl", ds.questions)
    rows = [json.loads(line) for line in (tmp_path / "questions.jsonl").read_text().splitlines()]
    assert rows[0]["difficulty"] == "easy" and rows[0]["category"] == "hr"
    assert "category" not in rows[1]
    assert load_dataset(tmp_path).questions == ds.questions


def test_jsonl_corpus_and_writer(tmp_path: Path) -> None:
    n = write_corpus_jsonl(tmp_path / "corpus.jsonl", [CorpusDoc(id="d1", title="T", text="body")])
    assert n == 1
    assert json.loads((tmp_path / "corpus.jsonl").read_text()) == {"_id": "d1", "title": "T", "text": "body"}
    write_questions(tmp_path / "questions.jsonl", [EvalQuestion(id="a", question="?", answerable=True,
                                                                reference_doc_ids=["d1"])])
    assert load_dataset(tmp_path).corpus_kind is CorpusKind.JSONL


def test_bad_json_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    _write_lines(tmp_path / "questions.jsonl", [_q(), "{not json"])
    with pytest.raises(DatasetError, match=r"questions.jsonl:2: invalid JSON"):
        load_dataset(tmp_path)


def test_schema_error_names_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    _write_lines(tmp_path / "questions.jsonl", [_q(answerable="maybe")])
    with pytest.raises(DatasetError, match=r"questions.jsonl:1: answerable"):
        load_dataset(tmp_path)


def test_duplicate_ids_rejected(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    _write_lines(tmp_path / "questions.jsonl", [_q(), _q()])
    with pytest.raises(DatasetError, match=r":2: duplicate question id 'q1' \(first on line 1\)"):
        load_dataset(tmp_path)


def test_unknown_reference_doc_id_rejected_unless_unchecked(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    _write_lines(tmp_path / "questions.jsonl", [_q(reference_doc_ids=["nope.md"])])
    with pytest.raises(DatasetError, match="not in the corpus"):
        load_dataset(tmp_path)
    assert load_dataset(tmp_path, check_doc_ids=False).questions[0].reference_doc_ids == ["nope.md"]


@pytest.mark.parametrize("layout", ["none", "both"])
def test_corpus_must_be_exactly_one_kind(tmp_path: Path, layout: str) -> None:
    _write_lines(tmp_path / "questions.jsonl", [_q()])
    if layout == "both":
        (tmp_path / "corpus").mkdir()
        (tmp_path / "corpus.jsonl").write_text("")
    with pytest.raises(DatasetError, match="corpus"):
        load_dataset(tmp_path)


def test_missing_questions_file(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    with pytest.raises(DatasetError, match="missing questions.jsonl"):
        load_dataset(tmp_path)


def test_prepare_dataset_dir_refuses_non_empty(tmp_path: Path) -> None:
    assert prepare_dataset_dir(tmp_path / "new" / "ds").is_dir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    with pytest.raises(FileExistsError):
        prepare_dataset_dir(tmp_path / "full")
