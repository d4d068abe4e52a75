"""`GET /v1/jobs/{job_id}`: status, progress and, once done, the job's report (ingest or reindex)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from grounded.api.deps import JobsDep, PrincipalDep, SettingsDep, StoreDep, current_collection
from grounded.api.schemas import JobOut
from grounded.api.source_roots import public_source
from grounded.contracts import IngestReport

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.get("/{job_id}")
def get_job(job_id: str, principal: PrincipalDep, jobs: JobsDep, store: StoreDep, settings: SettingsDep) -> JobOut:
    job = jobs.get(job_id)
    if job is None or not principal.can_access(job.collection) or not current_collection(
        store, job.collection, job.created_at
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"job not found: {job_id}")
    plan = job.report.plan if isinstance(job.report, IngestReport) else None
    if plan is not None:  # the root as its allowed-root-relative path, or its id: never a server path
        plan.root = public_source(settings, plan.root) or plan.root_id
    return job
