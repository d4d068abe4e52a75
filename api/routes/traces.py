"""`GET /v1/traces/{trace_id}`: what an answer was built from (retrieval, gate, raw output, removals)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from grounded.api.deps import PrincipalDep, StoreDep, TracesDep
from grounded.api.deps import current_collection
from grounded.contracts import TraceRecord

router = APIRouter(prefix="/v1/traces", tags=["traces"])


@router.get("/{trace_id}")
def get_trace(trace_id: str, principal: PrincipalDep, traces: TracesDep, store: StoreDep) -> TraceRecord:
    record = traces.get(trace_id)
    if record is None or not current_collection(store, record.collection, record.created_at):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"trace not found: {trace_id}")
    if not principal.can_access(record.collection):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this key is not granted collection '{record.collection}'")
    return record
