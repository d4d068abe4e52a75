"""Which process serves a GROUNDED_HOME. The embedded store can be open in one process only, so the serving
process owns it: it holds an exclusive lock on `GROUNDED_HOME/server.lock` while it runs and writes
`server.json` (mode 0600: its URL, pid and a per-run token that the CLI presents as its key). CLI commands on the
same home find the server here and go through its API instead of opening the store themselves.

Reading this needs no web framework: the CLI imports it on every command."""

from __future__ import annotations

import fcntl
import os
import secrets
from pathlib import Path

from pydantic import BaseModel

LOCK_FILE, INFO_FILE = "server.lock", "server.json"


class HomeInUse(RuntimeError):
    """Another server already serves this GROUNDED_HOME."""


class ServerInfo(BaseModel):
    pid: int
    url: str | None = None
    token: str


class Presence:
    """Held by the serving process from start-up to shutdown."""

    def __init__(self, home: Path, url: str | None) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self._home = home
        self._lock = open(home / LOCK_FILE, "a+")  # noqa: SIM115 (held for the process's lifetime)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self._lock.close()
            other = running_server(home)
            where = f" (pid {other.pid}, {other.url})" if other else ""
            raise HomeInUse(f"another grounded server already serves {home}{where}") from exc
        self.info = ServerInfo(pid=os.getpid(), url=url, token="gl_" + secrets.token_urlsafe(32))
        tmp = home / f".{INFO_FILE}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(self.info.model_dump_json())
        tmp.replace(home / INFO_FILE)

    def close(self) -> None:
        (self._home / INFO_FILE).unlink(missing_ok=True)
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()


def running_server(home: Path) -> ServerInfo | None:
    """The server serving `home`, or None. Decided by the lock, so a crashed server's stale file is ignored."""
    lock_path = home / LOCK_FILE
    if not lock_path.exists():
        return None
    with open(lock_path, "a+") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # held: a server runs
        else:
            fcntl.flock(probe, fcntl.LOCK_UN)
            return None
    try:
        return ServerInfo.model_validate_json((home / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ServerInfo(pid=0, url=None, token="")  # starting up: the file is not written yet
