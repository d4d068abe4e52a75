"""Collections: list (the ones this key is granted), create and delete (admins), re-ingest (editors)."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi import APIRouter, HTTPException, Response, status

from grounded.api.deps import (
    AdminDep,
    CollectionPath,
    ComponentsDep,
    EditableCollection,
    JobsDep,
    PrincipalDep,
    SettingsDep,
    StoreDep,
    check_granted,
)
from grounded.api.jobs import sync_work
from grounded.api.schemas import CollectionCreate, CollectionOut, JobKind, JobOut, ReingestRequest
from grounded.api.uploads import uploads_dir

router = APIRouter(prefix="/v1/collections", tags=["collections"])


@router.get("")
def list_collections(principal: PrincipalDep, store: StoreDep) -> list[CollectionOut]:
    return [
        CollectionOut(**info.model_dump(), chunks=store.count(info.name))
        for info in store.list_collections()
        if principal.can_access(info.name)
    ]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_collection(
    body: CollectionCreate, principal: AdminDep, store: StoreDep, components: ComponentsDep
) -> CollectionOut:
    """Create an empty collection; `source_path` (on the server) is what re-ingest will read."""
    check_granted(principal, body.name)
    if store.get_collection(body.name) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"collection already exists: {body.name}")
    source = Path(body.source_path) if body.source_path else None
    if source is not None and not source.exists():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"source_path not found on the server: {source}")
    info = components.ingestor().ensure_collection(body.name, source)
    return CollectionOut(**info.model_dump(), chunks=0)


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_collection(name: CollectionPath, principal: AdminDep, store: StoreDep, settings: SettingsDep) -> Response:
    """Delete the collection, its chunks and its uploaded files."""
    check_granted(principal, name)
    if not store.delete_collection(name):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"collection not found: {name}")
    shutil.rmtree(uploads_dir(settings, name), ignore_errors=True)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{name}/reingest", status_code=status.HTTP_202_ACCEPTED)
def reingest(
    info: EditableCollection, jobs: JobsDep, components: ComponentsDep, body: ReingestRequest | None = None
) -> JobOut:
    """Start a job bringing the collection in line with its source folder (unchanged files are skipped)."""
    if not info.source_path:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"collection '{info.name}' has no source_path to re-ingest from (it was filled by uploads); "
            "upload files instead, or create it with a source_path",
        )
    source = Path(info.source_path)
    if not source.exists():
        raise HTTPException(status.HTTP_409_CONFLICT, f"the source_path of '{info.name}' is gone: {source}")
    prune = body.prune if body else True
    return jobs.submit(JobKind.REINGEST, info.name, sync_work(components, info.name, source, prune=prune))
