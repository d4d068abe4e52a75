"""Re-ingest semantics that cannot surprise (issue 9, finding 3): a collection remembers the roots it was synced
from; pruning only touches documents of the root being synced, under the path given; a single file or another
folder adds or replaces and never deletes others; `--dry-run` shows exactly what would change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from grounded.store import list_documents

GROUNDED = [sys.executable, "-m", "grounded.cli"]


def cli(args: list[str], home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "GROUNDED_HOME": str(home)}
    return subprocess.run(GROUNDED + args, env=env, capture_output=True, text=True, timeout=600)


def folder(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


HANDBOOK = {
    "hr/leave.md": "# Leave\n\nEveryone gets 25 days of annual leave.\n",
    "hr/sick.md": "# Sick leave\n\nReport sickness to your manager before 09:00.\n",
    "it/passwords.txt": "Passwords\n\nPasswords must have at least 14 characters.\n",
}


def doc_ids(components, collection: str) -> set[str]:
    return {d.doc_id for d in list_documents(components.store, collection)}


def name() -> str:
    return f"c{uuid.uuid4().hex[:8]}"


def test_cli_ingesting_one_file_into_a_collection_keeps_every_other_document(tmp_path):
    """The probe's reproduction: 3 documents, then `ingest one-file.md` -> previously 1 document left."""
    home, src = tmp_path / "home", folder(tmp_path / "handbook", HANDBOOK)
    assert cli(["ingest", str(src), "-c", "hb", "--json"], home).returncode == 0
    extra = folder(tmp_path / "elsewhere", {"note.md": "# Note\n\nThe canteen closes at 15:00.\n"}) / "note.md"

    res = cli(["ingest", str(extra), "-c", "hb", "--json"], home)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert (report["added"], report["removed"]) == (1, 0)
    assert report["plan"]["remove"] == [] and report["plan"]["untouched"] == 3

    res = cli(["ingest", str(src / "hr" / "leave.md"), "-c", "hb", "--json"], home)  # a file inside a known root
    report = json.loads(res.stdout)
    assert report["unchanged"] == 1 and report["added"] == 0 and report["removed"] == 0, "same doc id, not a copy"

    listed = [json.loads(line) for line in cli(["collections", "list"], home).stdout.splitlines()]
    (hb,) = [c for c in listed if c["name"] == "hb"]
    assert hb["chunks"] >= 4
    assert {Path(s["path"]) for s in hb["sources"]} == {src.resolve(), extra.resolve()}


def test_cli_dry_run_prints_the_plan_and_changes_nothing(tmp_path):
    home, src = tmp_path / "home", folder(tmp_path / "handbook", HANDBOOK)
    assert cli(["ingest", str(src), "-c", "hb", "--json"], home).returncode == 0
    (src / "hr" / "sick.md").unlink()
    (src / "it" / "passwords.txt").write_text("Passwords\n\nPasswords must have at least 16 characters.\n")
    (src / "it" / "vpn.md").write_text("# VPN\n\nThe VPN client is WireGuard.\n")

    res = cli(["ingest", str(src), "-c", "hb", "--dry-run", "--json"], home)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["dry_run"] is True and report["chunks"] == 0
    plan = report["plan"]
    assert (plan["add"], plan["update"], plan["remove"]) == (["it/vpn.md"], ["it/passwords.txt"], ["hr/sick.md"])
    assert plan["unchanged"] == 1 and plan["new_root"] is False

    human = cli(["ingest", str(src), "-c", "hb", "--dry-run"], home)
    assert human.returncode == 0 and "would remove" in human.stderr and "hr/sick.md" in human.stderr
    no_prune = json.loads(cli(["ingest", str(src), "-c", "hb", "--dry-run", "--no-prune", "--json"], home).stdout)
    assert no_prune["plan"]["remove"] == [] and no_prune["plan"]["kept_stale"] == ["hr/sick.md"]

    after = json.loads(cli(["ingest", str(src), "-c", "hb", "--json"], home).stdout)
    assert (after["added"], after["updated"], after["removed"]) == (1, 1, 1), "the dry runs wrote nothing"
    assert after["plan"]["remove"] == ["hr/sick.md"]


def test_another_folder_adds_and_each_root_prunes_only_its_own(components, tmp_path):
    ing, col = components.ingestor(), name()
    a = folder(tmp_path / "a", HANDBOOK)
    b = folder(tmp_path / "b", {"sales/targets.md": "# Targets\n\nThe 2026 target is 4 million.\n",
                                "sales/regions.md": "# Regions\n\nThere are five regions.\n"})
    ing.sync(col, a)
    second = ing.sync(col, b)
    assert (second.added, second.removed) == (2, 0) and second.plan.new_root
    assert doc_ids(components, col) == set(HANDBOOK) | {"sales/targets.md", "sales/regions.md"}

    (b / "sales" / "regions.md").unlink()
    resync_b = ing.sync(col, b)
    assert resync_b.removed == 1 and resync_b.plan.remove == ["sales/regions.md"]
    assert doc_ids(components, col) == set(HANDBOOK) | {"sales/targets.md"}, "root a is untouched"
    resync_a = ing.sync(col, a)
    assert (resync_a.unchanged, resync_a.removed) == (3, 0), "root a does not prune root b's documents"
    info = components.store.get_collection(col)
    assert [s.path for s in info.sources] == [str(a.resolve()), str(b.resolve())]


def test_subfolder_sync_prunes_only_under_that_subfolder(components, tmp_path):
    ing, col, src = components.ingestor(), name(), folder(tmp_path / "hb", HANDBOOK)
    ing.sync(col, src)
    (src / "hr" / "sick.md").unlink()
    (src / "it" / "passwords.txt").unlink()
    report = ing.sync(col, src / "hr")
    assert report.plan.scope == "hr/" and report.plan.remove == ["hr/sick.md"] and report.removed == 1
    assert report.unchanged == 1, "doc ids stay relative to the remembered root"
    assert doc_ids(components, col) == {"hr/leave.md", "it/passwords.txt"}, "it/ is outside the scope"


def test_single_file_never_prunes_and_replaces_its_own_document(components, tmp_path):
    ing, col, src = components.ingestor(), name(), folder(tmp_path / "hb", HANDBOOK)
    ing.sync(col, src)
    (src / "hr" / "leave.md").write_text("# Leave\n\nEveryone gets 27 days of annual leave.\n")
    (src / "hr" / "sick.md").unlink()
    report = ing.sync(col, src / "hr" / "leave.md")
    assert (report.updated, report.removed, report.plan.scope) == (1, 0, "hr/leave.md")
    assert doc_ids(components, col) == set(HANDBOOK), "sick.md is only pruned by a sync of its folder"


def write_untagged(components, collection: str, src: Path) -> None:
    """What a sync wrote before roots existed: chunks without `source_root`, source_path set, no sources."""
    from grounded.contracts import CollectionInfo
    from grounded.ingest.chunk import chunk_document
    from grounded.ingest.parse import parse
    from grounded.ingest.sources import discover

    emb = components.embedder
    components.store.create_collection(CollectionInfo(name=collection, embed_model=emb.model_name,
                                                      dimension=emb.dimension, embed_variant=emb.variant,
                                                      source_path=str(src.resolve())))
    chunks = [c for d in discover(src).documents for c in chunk_document(parse(d), 200, 20, emb.count_tokens)]
    texts = [c.embedding_text() for c in chunks]
    components.store.upsert(collection, chunks, emb.embed(texts), components.sparse.embed_documents(texts))


def test_collection_written_before_roots_keeps_working(components, tmp_path):
    """Its source_path owns the untagged chunks: another folder never prunes them, a resync of it does."""
    ing, col, src = components.ingestor(), name(), folder(tmp_path / "hb", HANDBOOK)
    write_untagged(components, col, src)
    other = folder(tmp_path / "other", {"x.md": "# X\n\nThe X project ends in May.\n"})
    first = ing.sync(col, other)
    assert (first.added, first.removed, first.plan.untouched) == (1, 0, 3)
    (src / "hr" / "sick.md").unlink()
    again = ing.sync(col, src)
    assert again.plan.remove == ["hr/sick.md"] and again.unchanged == 2 and again.chunks == 0
    assert doc_ids(components, col) == {"hr/leave.md", "it/passwords.txt", "x.md"}
