"""Collections: list (the ones this key is granted), create and delete (admins), re-ingest (editors).

A `source_path` must lie inside `api.source_roots`; responses show it relative to its root."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi import APIRouter, HTTPException, Response, status

from grounded.api.deps import (
    AdminDep,
    CollectionPath,
    ComponentsDep,
    EditableCollection,
    EditorDep,
    JobsDep,
    PrincipalDep,
    SettingsDep,
    StoreDep,
    check_granted,
)
from grounded.api.auth import LOCAL_KEY_ID
from grounded.api.jobs import IngestSpec
from grounded.api.schemas import CollectionCreate, CollectionOut, JobKind, JobOut, ReingestRequest
from grounded.api.source_roots import allowed_source, inside_roots, public_source
from grounded.api.uploads import uploads_dir
from grounded.contracts import CollectionInfo
from grounded.settings import Settings
from grounded.store import StoreUnavailable, VectorStore

router = APIRouter(prefix="/v1/collections", tags=["collections"])


def collection_out(info: CollectionInfo, store: VectorStore, settings: Settings) -> CollectionOut:
    """The response for a collection; `chunks` is null while another process holds its store."""
    try:
        chunks = store.count(info.name)
    except StoreUnavailable:
        chunks = None
    shown = [root.model_copy(update={"path": path}) for root in info.sources
             if (path := public_source(settings, root.path)) is not None]
    return CollectionOut(
        **info.model_dump(exclude={"source_path", "sources"}), source_path=public_source(settings, info.source_path),
        sources=shown, chunks=chunks,
    )


@router.get("")
def list_collections(principal: PrincipalDep, store: StoreDep, settings: SettingsDep) -> list[CollectionOut]:
    return [collection_out(info, store, settings) for info in store.list_collections()
            if principal.can_access(info.name)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_collection(
    body: CollectionCreate, principal: AdminDep, store: StoreDep, components: ComponentsDep, settings: SettingsDep
) -> CollectionOut:
    """Create an empty collection; `source_path` (inside api.source_roots) is what re-ingest will read."""
    check_granted(principal, body.name)
    if store.get_collection(body.name) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"collection already exists: {body.name}")
    source = allowed_source(settings, body.source_path) if body.source_path else None
    info = components.ingestor().ensure_collection(body.name, source)
    return collection_out(info, store, settings)


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
    info: EditableCollection, principal: EditorDep, jobs: JobsDep, settings: SettingsDep,
    body: ReingestRequest | None = None,
) -> JobOut:
    """Start a job bringing the collection in line with its source folder (unchanged files are skipped), or
    with `path` (inside api.source_roots; any path for the CLI on the server's own host)."""
    prune = body.prune if body else True
    if body and body.path:
        if principal.key_id == LOCAL_KEY_ID:
            path = Path(body.path).resolve()
            if not path.exists():
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"no such file or folder: {path}")
        else:
            path = allowed_source(settings, body.path)
        return jobs.submit(JobKind.REINGEST, info.name, IngestSpec(path=str(path), prune=prune))
    if not info.source_path:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"collection '{info.name}' has no source_path to re-ingest from (it was filled by uploads); "
            "upload files instead, or create it with a source_path",
        )
    source = inside_roots(settings, info.source_path)
    if source is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"the source of '{info.name}' lies outside the allowed source roots (api.source_roots); "
            "ingest it with the CLI on the server, or add its folder to api.source_roots",
        )
    if not source.exists():
        raise HTTPException(status.HTTP_409_CONFLICT, f"the source_path of '{info.name}' is gone")
    return jobs.submit(JobKind.REINGEST, info.name, IngestSpec(path=str(source), prune=prune))
