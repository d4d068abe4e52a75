"""The OpenAPI schema lists the error responses each operation can give, all with the one `ErrorBody` shape.

Added in one place after FastAPI builds the schema, so route modules stay free of response boilerplate and the
list cannot drift from the middlewares (guard: 401/413/422, idempotency: 400/422) that produce them."""

from __future__ import annotations

import re

from fastapi import FastAPI

from grounded.api.schemas import ErrorBody

_DESCRIPTIONS = {
    "400": "bad Idempotency-Key header",
    "401": "missing, invalid or revoked API key (checked before the body is read)",
    "403": "the key's role or collection grant does not allow this",
    "404": "no such collection, document, job, trace or key (or not visible to this key)",
    "409": "conflicts with the current state (exists already, no source, embedder mismatch, settings key)",
    "411": "uploads need a Content-Length header",
    "413": "request body, upload or a file in it is too large",
    "415": "unsupported file type",
    "422": "malformed input (validation, lone surrogates, Idempotency-Key reused with another body)",
    "503": "the store or the generator is unavailable",
}
_CONFLICTS = {
    ("post", "/v1/collections"), ("post", "/v1/collections/{name}/reingest"), ("delete", "/v1/keys/{key_id}"),
    ("post", "/v1/collections/{name}/documents"),
}
_UPLOAD = ("post", "/v1/collections/{name}/documents")


def _codes(method: str, path: str) -> list[str]:
    codes = ["401", "403", "422", "503"]
    if "{" in path or path in ("/v1/chat", "/v1/chat/completions"):
        codes.append("404")
    if method in ("post", "put", "patch"):
        codes += ["400", "413"]
    if (method, path) in _CONFLICTS:
        codes.append("409")
    if (method, path) == _UPLOAD:
        codes += ["411", "415"]
    return sorted(set(codes))


def _add_errors(schema: dict) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorBody"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in _codes(method, path):
                responses[code] = {"description": _DESCRIPTIONS[code], "content": ref}
    used = str(schema.get("paths"))
    for unused in ("HTTPValidationError", "ValidationError"):
        if not re.search(rf"/{unused}'", used):
            components.pop(unused, None)


def document_errors(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            _add_errors(build())
        return app.openapi_schema

    app.openapi = openapi
