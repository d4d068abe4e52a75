"""Index versions of a collection: reindex (a job), list versions, promote, roll back."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from grounded.api.deps import ComponentsDep, EditableCollection, JobsDep, ReadableCollection, StoreDep
from grounded.api.jobs import ReindexSpec
from grounded.api.schemas import JobKind, JobOut
from grounded.api.source_roots import allowed_source
from grounded.ingest.reindex import NoSourceRoots, source_roots
from grounded.settings import ChunkSettings, Settings
from grounded.store.versioned import VersionEntry

router = APIRouter(prefix="/v1/collections", tags=["versions"])


class EmbedOverrides(BaseModel):
    model_path: str | None = Field(default=None, description="sentence-transformers folder on the server")
    max_seq_length: int | None = Field(default=None, ge=16)


class ReindexRequest(BaseModel):
    """Settings of the new version (unset = the server's) and the eval set/gate its promotion depends on."""

    chunk: ChunkSettings | None = None
    embed: EmbedOverrides | None = None
    eval_dataset: str | None = Field(default=None, description="server-side eval dataset folder (remembered)")
    gate: str | None = Field(default=None, description="server-side gate YAML the build must also meet")


class PromoteRequest(BaseModel):
    version: str = Field(min_length=1, max_length=80, description="v3, 3 or NAME@v3")


def _server_path(settings: Settings, value: str | None, field: str) -> Path | None:
    """A server-side file or folder a request names: only inside the allowed source roots (api.source_roots)."""
    return allowed_source(settings, value, field) if value is not None else None


@router.post("/{name}/reindex", status_code=status.HTTP_202_ACCEPTED)
def reindex(
    info: EditableCollection, jobs: JobsDep, components: ComponentsDep, body: ReindexRequest | None = None
) -> JobOut:
    """Start a job building a new index version beside the live one; it is promoted only if its eval holds up.
    The job's report says what was built, both eval summaries and the decision."""
    body = body or ReindexRequest()
    settings = components.settings
    dataset = _server_path(settings, body.eval_dataset, "eval_dataset")
    gate = _server_path(settings, body.gate, "gate")
    if body.embed and body.embed.model_path:
        _server_path(settings, body.embed.model_path, "embed.model_path")
    try:
        source_roots(info, components.settings.home)
    except NoSourceRoots as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    if info.index is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"collection '{info.name}' predates index versions")
    spec = ReindexSpec(chunk=body.chunk, embed=body.embed.model_dump(exclude_none=True) if body.embed else {},
                       eval_dataset=str(dataset) if dataset else None, gate=str(gate) if gate else None)
    return jobs.submit(JobKind.REINDEX, info.name, spec)


@router.get("/{name}/versions")
def list_versions(info: ReadableCollection, store: StoreDep) -> list[VersionEntry]:
    return store.versions(info.name)


@router.post("/{name}/promote")
def promote(body: PromoteRequest, info: EditableCollection, store: StoreDep) -> list[VersionEntry]:
    """Make a version live (one atomic alias swap)."""
    store.promote(info.name, body.version)
    return store.versions(info.name)


@router.post("/{name}/rollback")
def rollback(info: EditableCollection, store: StoreDep) -> list[VersionEntry]:
    """Make the version the live one replaced live again."""
    store.rollback(info.name)
    return store.versions(info.name)
