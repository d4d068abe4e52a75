"""Uploaded files: checked (size, names, types) before anything is written, then saved under
`GROUNDED_HOME/uploads/<collection>/` through a hidden temp name and a rename, so a running ingest never reads
half a file."""

from __future__ import annotations

from grounded.ingest.sync import UPLOADS_PREFIX

import shutil
import uuid
from pathlib import Path, PurePosixPath

from fastapi import HTTPException, status
from starlette.datastructures import UploadFile

from grounded.settings import Settings
from grounded.ingest.sources import EXTENSIONS

MIB = 1024 * 1024
MAX_FILES = 100
MAX_FIELDS = 10  # non-file form fields are ignored


def uploads_dir(settings: Settings, collection: str) -> Path:
    return settings.home / "uploads" / collection


def check_declared_size(content_length: str | None, max_mb: int) -> None:
    """The body size the client declares, checked before the body is read (h11 holds the client to it)."""
    if content_length is None or not content_length.isdigit():
        raise HTTPException(status.HTTP_411_LENGTH_REQUIRED, "uploads need a Content-Length header")
    size = int(content_length)
    if size > max_mb * MIB:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"upload is {size / MIB:.1f} MB; the limit is {max_mb} MB per request (api.max_upload_mb)",
        )


def checked_names(files: list[UploadFile]) -> list[str]:
    """The file names to save, or a 4xx naming the files at fault (415 for unsupported types)."""
    if not files:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "no files: send multipart/form-data with one or more 'files' parts"
        )
    names = [PurePosixPath((f.filename or "").replace("\\", "/")).name for f in files]
    bad = [n or "(no name)" for n in names if not n or n.startswith(".")]
    if bad:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"unusable file names: {', '.join(bad)}")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"file names given twice: {', '.join(dupes)}")
    unsupported = [f"{n} ('{PurePosixPath(n).suffix or 'no extension'}')" for n in names
                   if PurePosixPath(n).suffix.lower() not in EXTENSIONS]
    if unsupported:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"unsupported file type: {', '.join(unsupported)}; supported: {', '.join(sorted(EXTENSIONS))}",
        )
    return names


def save(files: list[UploadFile], names: list[str], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for upload, name in zip(files, names, strict=True):
        tmp = folder / f".{name}.{uuid.uuid4().hex}.part"  # hidden: discovery skips it
        with tmp.open("wb") as out:
            shutil.copyfileobj(upload.file, out)
        tmp.replace(folder / name)


def remove(folder: Path, doc_id: str) -> None:
    """Drop an uploaded copy of a deleted document, so the next upload sync does not bring it back."""
    if not doc_id.startswith(UPLOADS_PREFIX):
        return
    path = (folder / doc_id.removeprefix(UPLOADS_PREFIX)).resolve()
    if path.is_file() and path.is_relative_to(folder.resolve()):
        path.unlink()
