"""Find the documents under a path: supported files in a folder tree, or the records of a BEIR corpus.jsonl."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, Field

from grounded.contracts import FailedFile, SourceDocument, SourceFormat

EXTENSIONS: dict[str, SourceFormat] = {
    ".md": SourceFormat.MD,
    ".markdown": SourceFormat.MD,
    ".txt": SourceFormat.TXT,
    ".html": SourceFormat.HTML,
    ".htm": SourceFormat.HTML,
    ".pdf": SourceFormat.PDF,
    ".docx": SourceFormat.DOCX,
}


class Discovery(BaseModel):
    documents: list[SourceDocument] = Field(default_factory=list)
    failed: list[FailedFile] = Field(default_factory=list)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def discover(path: Path) -> Discovery:
    """Everything ingestible under `path`; unsupported or unreadable files are reported, not raised."""
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    if path.is_file():
        if path.suffix == ".jsonl":
            return _jsonl_records(path)
        return _files(path.parent, [path])
    return _files(path, sorted(p for p in path.rglob("*") if p.is_file()))


def _files(root: Path, paths: list[Path]) -> Discovery:
    found = Discovery()
    for p in paths:
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue  # hidden files and folders (.git, .DS_Store) are not documents
        if p.suffix.lower() == ".jsonl":
            sub = _jsonl_records(p)
            found.documents.extend(sub.documents)
            found.failed.extend(sub.failed)
            continue
        fmt = EXTENSIONS.get(p.suffix.lower())
        if fmt is None:
            found.failed.append(FailedFile(path=rel.as_posix(), error=f"unsupported file type '{p.suffix or p.name}'"))
            continue
        try:
            digest = sha256_bytes(p.read_bytes())
        except OSError as exc:
            found.failed.append(FailedFile(path=rel.as_posix(), error=f"unreadable: {exc.strerror or exc}"))
            continue
        found.documents.append(
            SourceDocument(doc_id=rel.as_posix(), source=str(p), format=fmt, content_hash=digest)
        )
    return found


def _jsonl_records(path: Path) -> Discovery:
    """BEIR-style `{"_id","title","text"}` lines; a bad line fails alone."""
    found = Discovery()
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path.name}:{lineno}"
            try:
                rec = json.loads(line)
                doc_id, text = str(rec["_id"]), str(rec.get("text") or "")
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                found.failed.append(FailedFile(path=where, error=f"bad corpus record: {exc}"))
                continue
            title = str(rec.get("title") or "")
            if not (title or text).strip():
                found.failed.append(FailedFile(path=where, error="empty record"))
                continue
            found.documents.append(
                SourceDocument(
                    doc_id=doc_id,
                    source=f"{path.name}#{doc_id}",
                    format=SourceFormat.JSONL,
                    content_hash=sha256_bytes(f"{title}\n{text}".encode()),
                    title=title or None,
                    inline_text=text,
                )
            )
    return found
