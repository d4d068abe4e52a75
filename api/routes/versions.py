"""Index versions of a collection: reindex (a job), list versions, promote, roll back."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from grounded.api.deps import ComponentsDep, EditableCollection, JobsDep, ReadableCollection, StoreDep
from grounded.api.schemas import JobKind, JobOut
from grounded.ingest.reindex import NoSourceRoots, source_roots
from grounded.ingest.sync import Progress
from grounded.settings import ChunkSettings
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


def _server_path(value: str | None, what: str) -> Path | None:
    if value is None:
        return None
    path = Path(value)
    if not path.exists():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{what} not found on the server: {path}")
    return path


@router.post("/{name}/reindex", status_code=status.HTTP_202_ACCEPTED)
def reindex(
    info: EditableCollection, jobs: JobsDep, components: ComponentsDep, body: ReindexRequest | None = None
) -> JobOut:
    """Start a job building a new index version beside the live one; it is promoted only if its eval holds up.
    The job's report says what was built, both eval summaries and the decision."""
    from grounded.evals.promotion import reindex as run_reindex

    body = body or ReindexRequest()
    dataset, gate = _server_path(body.eval_dataset, "eval_dataset"), _server_path(body.gate, "gate")
    try:
        source_roots(info, components.settings.home)
    except NoSourceRoots as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    if info.index is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"collection '{info.name}' predates index versions")
    settings = components.settings
    embed = settings.embed.model_copy(update=body.embed.model_dump(exclude_none=True)) if body.embed else settings.embed
    build = settings.model_copy(update={"chunk": body.chunk or settings.chunk, "embed": embed})

    def work(progress: Progress):
        return run_reindex(components, info.name, build_settings=build, eval_dataset=dataset, gate=gate,
                           progress=progress)

    return jobs.submit(JobKind.REINDEX, info.name, work)


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
