"""Documents of a collection: list (readers), upload (editors; starts an ingestion job), delete (editors)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from grounded.api import uploads
from grounded.api.deps import EditableCollection, JobsDep, ReadableCollection, SettingsDep, StoreDep
from grounded.api.jobs import IngestSpec
from grounded.api.schemas import JobKind, JobOut
from grounded.contracts import DocumentInfo
from grounded.store import doc_versions, list_documents
from grounded.ingest.sync import UPLOADS_PREFIX

router = APIRouter(prefix="/v1/collections/{name}/documents", tags=["documents"])

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                }
            }
        },
    }
}


@router.get("")
def list_collection_documents(info: ReadableCollection, store: StoreDep) -> list[DocumentInfo]:
    return list_documents(store, info.name)


@router.post("", status_code=status.HTTP_202_ACCEPTED, openapi_extra=UPLOAD_BODY)
async def upload_documents(request: Request, info: EditableCollection, settings: SettingsDep, jobs: JobsDep) -> JobOut:
    """Upload one or more files (md, txt, html, pdf, docx) as `files` parts and start a job ingesting them.

    The key and the declared size are checked before the body is read.
    """
    uploads.check_declared_size(request.headers.get("content-length"), settings.api.max_upload_mb)
    async with request.form(max_files=uploads.MAX_FILES, max_fields=uploads.MAX_FIELDS) as form:
        files = [value for key, value in form.multi_items() if key == "files" and isinstance(value, UploadFile)]
        names = uploads.checked_names(files)
        batch = uploads.new_batch(settings, info.name)
        await run_in_threadpool(uploads.save, files, names, batch, settings.api.max_file_mb)
    # adds or replaces these files only: never prunes (documents are removed with DELETE)
    spec = IngestSpec(path=str(batch), remember_source=False, doc_prefix=UPLOADS_PREFIX, discard_path=True)
    return jobs.submit(JobKind.UPLOAD, info.name, spec)


@router.delete("/{doc_id:path}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(info: EditableCollection, doc_id: str, store: StoreDep) -> Response:
    """Remove every chunk of the document."""
    if doc_id not in doc_versions(store, info.name):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"document not found in '{info.name}': {doc_id}")
    store.delete_document(info.name, doc_id)
    store.flush(info.name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
