"""FastAPI dependencies: the shared objects of the app, the caller, and the collection checks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from grounded.api.auth import INVALID_KEY, MISSING_KEY, KeyStore, Principal
from grounded.api.jobs import JobRunner
from grounded.api.metrics import Metrics
from grounded.api.schemas import NAME_PATTERN, Role
from grounded.app import Components
from grounded.contracts import CollectionInfo
from grounded.settings import Settings
from grounded.store import VectorStore
from grounded.traces import TraceStore
from grounded.retrieval.answer import AnswerService, AskRequest


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_components(request: Request) -> Components:
    return request.app.state.components


ComponentsDep = Annotated[Components, Depends(get_components)]


def get_store(components: ComponentsDep) -> VectorStore:
    return components.store


def get_answers(components: ComponentsDep) -> AnswerService:
    return components.answers


def get_jobs(request: Request) -> JobRunner:
    return request.app.state.jobs


def get_keys(request: Request) -> KeyStore:
    return request.app.state.keys


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


def get_traces(request: Request) -> TraceStore:
    return request.app.state.traces


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[VectorStore, Depends(get_store)]
AnswersDep = Annotated[AnswerService, Depends(get_answers)]
JobsDep = Annotated[JobRunner, Depends(get_jobs)]
KeysDep = Annotated[KeyStore, Depends(get_keys)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
TracesDep = Annotated[TraceStore, Depends(get_traces)]

_bearer = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer <key>`")


def get_principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    keys: KeysDep,
) -> Principal:
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, MISSING_KEY, challenge)
    principal = keys.authenticate(credentials.credentials)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, INVALID_KEY, challenge)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(role: Role):
    def check(principal: PrincipalDep) -> Principal:
        if not principal.has_role(role):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"this needs a key with the {role} role; this key is a {principal.role}"
            )
        return principal

    return check


EditorDep = Annotated[Principal, Depends(require(Role.EDITOR))]
AdminDep = Annotated[Principal, Depends(require(Role.ADMIN))]
admin_only = Depends(require(Role.ADMIN))

CollectionPath = Annotated[str, Path(pattern=NAME_PATTERN, description="collection name")]


def check_granted(principal: Principal, name: str) -> None:
    if not principal.can_access(name):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this key is not granted collection '{name}'")


def granted_collection(store: VectorStore, principal: Principal, name: str) -> CollectionInfo:
    """The collection, if the caller's key is granted it (403) and it exists (404)."""
    check_granted(principal, name)
    info = store.get_collection(name)
    if info is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"collection not found: {name}")
    return info


def current_collection(store: VectorStore, name: str, since: datetime) -> bool:
    """Whether a record made at `since` belongs to the collection called `name` now, not to a deleted namesake."""
    info = store.get_collection(name)
    return info is not None and info.created_at <= since


def readable_collection(name: CollectionPath, principal: PrincipalDep, store: StoreDep) -> CollectionInfo:
    return granted_collection(store, principal, name)


def editable_collection(name: CollectionPath, principal: EditorDep, store: StoreDep) -> CollectionInfo:
    return granted_collection(store, principal, name)


ReadableCollection = Annotated[CollectionInfo, Depends(readable_collection)]
EditableCollection = Annotated[CollectionInfo, Depends(editable_collection)]


def ask_request(principal: Principal, **fields) -> AskRequest:
    """The retrieval request for this caller, its grant riding along; fields out of bounds are a 422."""
    try:
        return AskRequest(allowed_collections=principal.collections, **fields)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc
