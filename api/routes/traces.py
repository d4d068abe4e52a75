"""Traces: what each answer was built from (retrieval, gate, raw output, removals). `GET /v1/traces` lists recent
answers for review (editors and admins), newest first, filtered and paged; `GET /v1/traces/{trace_id}` is one."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from grounded.api.auth import Principal
from grounded.api.deps import EditorDep, PrincipalDep, StoreDep, TracesDep, current_collection
from grounded.api.schemas import NAME_PATTERN
from grounded.contracts import AnswerStatus, TraceRecord
from grounded.store import VectorStore

router = APIRouter(prefix="/v1/traces", tags=["traces"])


class TracePage(BaseModel):
    items: list[TraceRecord]
    offset: int
    limit: int
    next_offset: int | None = Field(description="the offset of the next page; null on the last page")


def _matching(
    records: Iterator[TraceRecord], principal: Principal, store: VectorStore, collection: str | None,
    status_: AnswerStatus | None, slow_ms: float | None, fallback: bool | None,
) -> Iterator[TraceRecord]:
    for r in records:
        a = r.answer
        if not principal.can_access(r.collection) or (collection and r.collection != collection):
            continue
        if not current_collection(store, r.collection, r.created_at):  # a deleted namesake's answers
            continue
        if status_ is not None and a.status is not status_:
            continue
        if slow_ms is not None and a.timings_ms.get("total", 0.0) < slow_ms:
            continue
        if fallback is not None and (a.fallback is not None) is not fallback:
            continue
        yield r


@router.get("")
def list_traces(
    principal: EditorDep,
    traces: TracesDep,
    store: StoreDep,
    collection: Annotated[str | None, Query(pattern=NAME_PATTERN, description="only this collection")] = None,
    status_: Annotated[AnswerStatus | None, Query(alias="status", description="only this answer status")] = None,
    slow_ms: Annotated[float | None, Query(ge=0, description="only answers whose total took at least this")] = None,
    fallback: Annotated[bool | None, Query(description="true: only answers that fell back; false: none")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TracePage:
    """Recent answers of the collections this key is granted, newest first."""
    matching = _matching(traces.recent(), principal, store, collection, status_, slow_ms, fallback)
    window = list(itertools.islice(matching, offset, offset + limit + 1))
    more = len(window) > limit
    return TracePage(items=window[:limit], offset=offset, limit=limit, next_offset=offset + limit if more else None)


@router.get("/{trace_id}")
def get_trace(trace_id: str, principal: PrincipalDep, traces: TracesDep, store: StoreDep) -> TraceRecord:
    record = traces.get(trace_id)
    if record is None or not current_collection(store, record.collection, record.created_at):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"trace not found: {trace_id}")
    if not principal.can_access(record.collection):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this key is not granted collection '{record.collection}'")
    return record
