import json
from pathlib import Path

import pytest

from grounded.evals.datasets import CorpusKind, DatasetError, load_dataset, read_corpus_jsonl
from grounded.evals.importers import IMPORTERS, import_beir, import_llamaindex, import_squad2
from grounded.evals.importers.beir import read_qrels


def test_registry_names() -> None:
    assert set(IMPORTERS) == {"beir", "squad2", "llamaindex"}


def test_beir_scifact(evaldata: Path, tmp_path: Path) -> None:
    src = evaldata / "beir_scifact"
    ds = import_beir(src, tmp_path / "out", limit=5)
    assert ds.corpus_kind is CorpusKind.JSONL
    assert len(ds.questions) == 5
    first = ds.questions[0]
    assert (first.id, first.reference_doc_ids, first.answerable) == ("1", ["31715818"], True)
    queries = {d.id: d.text for d in read_corpus_jsonl(src / "queries.jsonl")}
    assert first.question == queries["1"]
    assert all(q.reference_answers == [] and q.reference_doc_ids for q in ds.questions)
    docs = list(read_corpus_jsonl(tmp_path / "out" / "corpus.jsonl"))
    assert len(docs) == 5183
    line = json.loads((tmp_path / "out" / "corpus.jsonl").read_text().split("\n", 1)[0])
    assert set(line) == {"_id", "title", "text"}


def test_beir_split_and_full_test_set(evaldata: Path, tmp_path: Path) -> None:
    qrels = read_qrels(evaldata / "beir_scifact" / "qrels" / "test.tsv")
    assert len(qrels) == 300 and sum(len(v) for v in qrels.values()) == 339
    with pytest.raises(DatasetError, match="split 'dev'"):
        import_beir(evaldata / "beir_scifact", tmp_path / "x", split="dev")
    train = import_beir(evaldata / "beir_scifact", tmp_path / "train", limit=3, split="train")
    assert [q.id for q in train.questions][0] == "0"


def test_squad2_limit_keeps_whole_articles(evaldata: Path, tmp_path: Path) -> None:
    src = evaldata / "squad2_dev_open" / "dev-v2.0.subset.json"
    first_paragraph = json.loads(src.read_text())["data"][0]["paragraphs"][0]
    ds = import_squad2(src, tmp_path / "out", limit=9)
    assert len(ds.questions) == 9  # the first paragraph's 5 answerable + 4 unanswerable questions
    for q, qa in zip(ds.questions, first_paragraph["qas"]):
        assert (q.id, q.question, q.answerable) == (qa["id"], qa["question"], not qa["is_impossible"])
        assert q.reference_answers == list(dict.fromkeys(a["text"] for a in qa["answers"]))
        assert len(set(q.reference_answers)) == len(q.reference_answers)
        if q.answerable:
            assert q.reference_doc_ids == ["Normans#0"]
            assert q.reference_contexts == [first_paragraph["context"]]
        else:
            assert q.reference_answers == q.reference_doc_ids == q.reference_contexts == []
        assert q.category == "Normans"
    assert [q.answerable for q in ds.questions] == [True] * 5 + [False] * 4
    assert len(ds.questions[0].reference_answers) < len(first_paragraph["qas"][0]["answers"])  # de-duplicated
    docs = list(read_corpus_jsonl(tmp_path / "out" / "corpus.jsonl"))
    assert len(docs) == 39 and docs[0].id == "Normans#0" and docs[-1].id == "Normans#38"
    assert docs[0].text == first_paragraph["context"] and docs[0].title == "Normans"


def test_squad2_articles_and_folder_source(evaldata: Path, tmp_path: Path) -> None:
    ds = import_squad2(evaldata / "squad2_dev_open", tmp_path / "out", articles=2)
    assert {q.category for q in ds.questions} == {"Normans", "Computational_complexity_theory"}
    ids = {d.id for d in read_corpus_jsonl(tmp_path / "out" / "corpus.jsonl")}
    assert {i.split("#")[0] for i in ids} == {"Normans", "Computational_complexity_theory"}


def test_llamaindex_blockchain_solana(evaldata: Path, tmp_path: Path) -> None:
    ds = import_llamaindex(evaldata / "llamaindex_blockchain_solana", tmp_path / "out", limit=4)
    assert ds.corpus_kind is CorpusKind.FILES
    assert (tmp_path / "out" / "corpus" / "BlockchainSolana.pdf").is_file()
    assert [q.id for q in ds.questions] == ["q0000", "q0001", "q0002", "q0003"]
    q = ds.questions[2]
    assert q.answerable and q.reference_doc_ids == ["BlockchainSolana.pdf"]
    assert len(q.reference_answers) == 1 and len(q.reference_contexts) == 1
    assert q.model_extra == {"gold_pages": [2]}
    assert load_dataset(tmp_path / "out").questions == ds.questions


def test_importer_refuses_non_empty_output(evaldata: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("")
    with pytest.raises(FileExistsError):
        import_llamaindex(evaldata / "llamaindex_blockchain_solana", tmp_path / "out", limit=1)


def test_full_imports_match_published_counts(evaldata: Path, tmp_path: Path) -> None:
    squad = import_squad2(evaldata / "squad2_dev_open" / "dev-v2.0.subset.json", tmp_path / "squad")
    assert len(squad.questions) == 3366
    assert sum(not q.answerable for q in squad.questions) == 1651
    assert len(list(read_corpus_jsonl(tmp_path / "squad" / "corpus.jsonl"))) == 370
    solana = import_llamaindex(evaldata / "llamaindex_blockchain_solana", tmp_path / "solana")
    assert len(solana.questions) == 58
    assert all(len(q.model_extra["gold_pages"]) == 1 for q in solana.questions)
