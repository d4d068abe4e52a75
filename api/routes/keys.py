"""API keys (admins): create (the secret is returned once), list (never the secret), revoke."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status

from grounded.api.auth import ADMIN_KEY_ID
from grounded.api.deps import KeysDep, admin_only
from grounded.api.schemas import KeyCreate, KeyCreated, KeyOut

router = APIRouter(prefix="/v1/keys", tags=["keys"], dependencies=[admin_only])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_key(body: KeyCreate, keys: KeysDep, response: Response) -> KeyCreated:
    key, secret = keys.create(body.role, body.collections, body.name)
    response.headers["Cache-Control"] = "no-store"  # also keeps the secret out of the idempotency records on disk
    return KeyCreated(**key.model_dump(), secret=secret)


@router.get("")
def list_keys(keys: KeysDep) -> list[KeyOut]:
    return keys.list()


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_key(key_id: str, keys: KeysDep) -> Response:
    if key_id == ADMIN_KEY_ID:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "the settings admin key is revoked by unsetting GROUNDED_ADMIN_KEY"
        )
    if not keys.revoke(key_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"key not found: {key_id}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
