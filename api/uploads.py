"""Uploaded files: checked (size, names, types) before anything is written, then saved into a batch folder of
their own, `GROUNDED_HOME/uploads/<collection>/<batch>/`, that only this request's job reads (and deletes when it
is over). A request that fails part-way removes its batch, so no later job ever ingests its files."""

from __future__ import annotations

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
MAX_NAME_BYTES = 200  # file systems allow 255 per name; the rest is headroom for temp names


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
    long = [n[:40] + "..." for n in names if len(n.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES]
    if long:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"file names too long (over {MAX_NAME_BYTES} bytes): {', '.join(long)}",
        )
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


class FileTooLarge(Exception):
    pass


def new_batch(settings: Settings, collection: str) -> Path:
    return uploads_dir(settings, collection) / uuid.uuid4().hex


def save(files: list[UploadFile], names: list[str], folder: Path, max_file_mb: int) -> None:
    """Write the files into `folder`; on any failure (a file over `max_file_mb`: 413) the folder is removed."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for upload, name in zip(files, names, strict=True):
            _save_one(upload, folder / name, max_file_mb * MIB)
    except FileTooLarge as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"{exc}: over the {max_file_mb} MB limit per file (api.max_file_mb)",
        ) from exc
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _save_one(upload: UploadFile, path: Path, limit: int) -> None:
    written = 0
    with path.open("wb") as out:
        while block := upload.file.read(1024 * 1024):
            written += len(block)
            if written > limit:
                raise FileTooLarge(path.name)
            out.write(block)
