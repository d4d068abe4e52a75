"""API keys (admins): create (the secret is returned once), list (never the secret), revoke.

Grants bound every role: a key creates only keys with at most its own role and a subset of its own collections;
only an unscoped admin (granted "*") lists keys or revokes a key other than its own."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status

from grounded.api.auth import ADMIN_KEY_ID, Principal
from grounded.api.deps import AdminDep, KeysDep, admin_only
from grounded.api.schemas import KeyCreate, KeyCreated, KeyOut

router = APIRouter(prefix="/v1/keys", tags=["keys"], dependencies=[admin_only])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_key(body: KeyCreate, keys: KeysDep, principal: AdminDep, response: Response) -> KeyCreated:
    reason = principal.cannot_delegate(body.role, body.collections)
    if reason:
        raise HTTPException(status.HTTP_403_FORBIDDEN, reason)
    key, secret = keys.create(body.role, body.collections, body.name)
    response.headers["Cache-Control"] = "no-store"  # also keeps the secret out of the idempotency records on disk
    return KeyCreated(**key.model_dump(), secret=secret)


@router.get("")
def list_keys(keys: KeysDep, principal: AdminDep) -> list[KeyOut]:
    _require_unscoped(principal, "list keys")
    return keys.list()


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_key(key_id: str, keys: KeysDep, principal: AdminDep) -> Response:
    if key_id != principal.key_id:
        _require_unscoped(principal, "revoke other keys")
    if key_id == ADMIN_KEY_ID:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "the settings admin key is revoked by unsetting GROUNDED_ADMIN_KEY"
        )
    if not keys.revoke(key_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"key not found: {key_id}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _require_unscoped(principal: Principal, what: str) -> None:
    if not principal.unscoped:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"only an admin key granted all collections may {what}")
