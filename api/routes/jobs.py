"""`GET /v1/jobs/{job_id}`: status, progress and, once done, the ingest report."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from grounded.api.deps import JobsDep, PrincipalDep, StoreDep, current_collection
from grounded.api.schemas import JobOut

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.get("/{job_id}")
def get_job(job_id: str, principal: PrincipalDep, jobs: JobsDep, store: StoreDep) -> JobOut:
    job = jobs.get(job_id)
    if job is None or not principal.can_access(job.collection) or not current_collection(
        store, job.collection, job.created_at
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"job not found: {job_id}")
    return job
