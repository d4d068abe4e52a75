"""API keys: a hashed key file (`GROUNDED_HOME/keys.json`), the settings admin key, and role checks.

Secrets are `gk_` + 32 random bytes (url-safe); only their sha256 is stored, so a leaked key file grants nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import os
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

from grounded.api.schemas import KeyOut, Role
from grounded.contracts import utcnow

ADMIN_KEY_ID = "settings-admin"
LOCAL_KEY_ID = "local-cli"
"""The principal of CLI commands on the server's own GROUNDED_HOME (see api/presence.py)."""
MISSING_KEY = "missing API key (Authorization: Bearer <key>)"
INVALID_KEY = "invalid or revoked API key"
_RANK = {Role.READER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class Principal:
    """The caller behind a request."""

    key_id: str
    name: str | None
    role: Role
    collections: frozenset[str]

    def has_role(self, role: Role) -> bool:
        return _RANK[self.role] >= _RANK[role]

    def can_access(self, collection: str) -> bool:
        return "*" in self.collections or collection in self.collections

    @property
    def unscoped(self) -> bool:
        return "*" in self.collections

    def cannot_delegate(self, role: Role, collections: list[str]) -> str | None:
        """Why this caller may not create a key with `role` and `collections` (None: it may). A key delegates
        at most its own role and a subset of its own grant."""
        if not self.has_role(role):
            return f"this key is a {self.role}; it cannot create a {role} key"
        if self.unscoped:
            return None
        wider = sorted(set(collections) - self.collections)
        if wider:
            return f"this key is not granted {', '.join(repr(c) for c in wider)}; a new key can only narrow its grant"
        return None


class StoredKey(KeyOut):
    sha256: str


class _KeyFile(BaseModel):
    keys: list[StoredKey] = Field(default_factory=list)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyStore:
    def __init__(self, path: Path, admin_key: SecretStr | None) -> None:
        self._path = path
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._admin = admin_key.get_secret_value() if admin_key else None
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int, int], dict[str, StoredKey]] | None = None
        self._local: str | None = None

    def allow_local(self, token: str | None) -> None:
        """Accept the per-run token the server left in GROUNDED_HOME for local CLI commands (an admin of all:
        whoever can read that folder can read every collection in it anyway)."""
        self._local = token

    @property
    def has_admin_key(self) -> bool:
        return bool(self._admin)

    def authenticate(self, secret: str) -> Principal | None:
        if self._admin and hmac.compare_digest(secret.encode(), self._admin.encode()):
            return Principal(ADMIN_KEY_ID, "GROUNDED_ADMIN_KEY", Role.ADMIN, frozenset({"*"}))
        if self._local and hmac.compare_digest(secret.encode(), self._local.encode()):
            return Principal(LOCAL_KEY_ID, "grounded CLI on this host", Role.ADMIN, frozenset({"*"}))
        key = self._by_digest().get(_digest(secret))
        if key is None:
            return None
        return Principal(key.id, key.name, key.role, frozenset(key.collections))

    def list(self) -> list[KeyOut]:
        return [KeyOut.model_validate(k.model_dump(exclude={"sha256"})) for k in self._by_digest().values()]

    def create(self, role: Role, collections: list[str], name: str | None) -> tuple[KeyOut, str]:
        secret = "gk_" + secrets.token_urlsafe(32)
        key = StoredKey(
            id="key_" + secrets.token_hex(8), name=name, role=role, collections=sorted(set(collections)),
            created_at=utcnow(), sha256=_digest(secret),
        )
        with self._locked() as keys:
            keys.append(key)
        return KeyOut.model_validate(key.model_dump(exclude={"sha256"})), secret

    def revoke(self, key_id: str) -> bool:
        with self._locked() as keys:
            before = len(keys)
            keys[:] = [k for k in keys if k.id != key_id]
            return len(keys) < before

    def _by_digest(self) -> dict[str, StoredKey]:
        """The key file, re-read only when it changed on disk."""
        try:
            st = self._path.stat()
        except FileNotFoundError:
            return {}
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if self._cache is None or self._cache[0] != stamp:
            keys = _KeyFile.model_validate_json(self._path.read_bytes()).keys
            self._cache = (stamp, {k.sha256: k for k in keys})
        return self._cache[1]

    @contextmanager
    def _locked(self):
        """Read-modify-write under a thread lock and a file lock; the file is replaced atomically."""
        with self._lock, open(self._path.with_suffix(".lock"), "w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            data = _KeyFile.model_validate_json(self._path.read_bytes()) if self._path.exists() else _KeyFile()
            yield data.keys
            tmp = self._path.with_suffix(".tmp")
            tmp.write_text(data.model_dump_json(indent=1), encoding="utf-8")
            os.chmod(tmp, 0o600)
            tmp.replace(self._path)
