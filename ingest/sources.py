"""Find the documents under a path: supported files in a folder tree, or the records of a BEIR corpus.jsonl."""

from __future__ import annotations

import codecs
import hashlib
import json
import os
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, Field

from grounded.contracts import FailedFile, SkippedFile, SourceDocument, SourceFormat

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
    skipped: list[SkippedFile] = Field(default_factory=list)

    def extend(self, other: Discovery) -> None:
        self.documents.extend(other.documents)
        self.failed.extend(other.failed)
        self.skipped.extend(other.skipped)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def discover(path: Path, base: Path | None = None) -> Discovery:
    """Everything ingestible under `path`, with doc ids relative to `base` (default: the folder itself, or a
    file's parent). Unsupported or unreadable files are reported, not raised; a symlink whose target lies
    outside `base` is skipped with its reason, so nothing outside the corpus is ever read."""
    if not path.exists() and not path.is_symlink():
        raise FileNotFoundError(f"no such file or folder: {path}")
    if base is None:
        base = path if path.is_dir() else path.parent
    base = base.resolve()  # compare real folders (a corpus reached through a symlinked folder is still inside)
    path = real_path(path)
    if path.is_dir():
        return _files(base, _walk(path, base))
    if path.suffix == ".jsonl" and _inside(path, base):
        return _jsonl_records(path)
    return _files(base, [path])


def real_path(path: Path) -> Path:
    """The path with its folders' symlinks resolved; a file's own symlink is kept (so it can be judged)."""
    return path.resolve() if path.is_dir() else path.parent.resolve() / path.name


def _inside(path: Path, base: Path) -> bool:
    return path.resolve().is_relative_to(base)


def _walk(folder: Path, base: Path) -> list[Path]:
    """Files under `folder` in name order. Symlinked folders are not descended (a target inside the corpus is
    walked at its own path anyway, one outside it must not be read, and neither can loop)."""
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        linked = [d for d in dirnames if (here / d).is_symlink()]
        out.extend(here / d for d in linked)  # reported by _files
        dirnames[:] = sorted(d for d in dirnames if d not in linked and not d.startswith("."))
        out.extend(here / f for f in filenames)
    return sorted(out)


def _files(base: Path, paths: list[Path]) -> Discovery:
    found = Discovery()
    for p in paths:
        rel = p.relative_to(base).as_posix() if p.is_relative_to(base) else p.name
        if any(part.startswith(".") for part in PurePosixPath(rel).parts):
            continue  # hidden files and folders (.git, .DS_Store) are not documents
        if p.is_symlink():
            if not _inside(p, base):
                found.skipped.append(SkippedFile(path=rel, reason="symlink to a target outside the corpus root"))
                continue
            if p.is_dir():
                found.skipped.append(SkippedFile(path=rel, reason="symlinked folder (its target is read at its own path)"))
                continue
        if not p.is_file():
            found.failed.append(FailedFile(path=rel, error="not a regular file (broken link, device or socket)"))
            continue
        if p.suffix.lower() == ".jsonl":
            found.extend(_jsonl_records(p))
            continue
        fmt = EXTENSIONS.get(p.suffix.lower())
        if fmt is None:
            found.failed.append(FailedFile(path=rel, error=f"unsupported file type '{p.suffix or p.name}'"))
            continue
        try:
            digest = sha256_bytes(p.read_bytes())
        except OSError as exc:
            found.failed.append(FailedFile(path=rel, error=f"unreadable: {exc.strerror or exc}"))
            continue
        found.documents.append(SourceDocument(doc_id=rel, source=str(p), format=fmt, content_hash=digest))
    return found


def _lines(data: bytes) -> list[bytes | str]:
    """A corpus file's lines: decoded whole when it starts with a UTF-16 BOM, else raw (each decoded alone)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16").splitlines()
    return data.removeprefix(codecs.BOM_UTF8).split(b"\n")


def _jsonl_records(path: Path) -> Discovery:
    """BEIR-style `{"_id","title","text"}` lines; a bad line (malformed JSON, not UTF-8) fails alone."""
    found = Discovery()
    try:
        lines = _lines(path.read_bytes())
    except (OSError, UnicodeDecodeError) as exc:
        found.failed.append(FailedFile(path=path.name, error=f"unreadable corpus file: {exc}"))
        return found
    for lineno, raw in enumerate(lines, start=1):
        where = f"{path.name}:{lineno}"
        try:
            line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as exc:
            found.failed.append(FailedFile(path=where, error=f"not UTF-8 (byte {exc.start} of the line)"))
            continue
        if not line.strip():
            continue
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
