"""On-disk layout of one embedded collection, and the one file that makes an index swap atomic.

    <collection>/collection.json   model, dimension, sources (embedded.py)
    <collection>/live.json         {"shard": "shard-3"}: the shard folder that is the collection (absent: "shard")
    <collection>/shard, shard-N/   shard folders; only the live one is kept past an open
    <collection>/owner.lock        flock held by the one process that has the collection open

`live.json` is replaced in one `os.replace`, so after a kill -9 at any moment it names a complete shard: the old
one (a build not yet swapped in is just an orphan folder) or the new one (written, flushed before the switch).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from pathlib import Path
from typing import IO

from grounded.store.base import StoreUnavailable

LIVE_FILE = "live.json"
OWNER_LOCK = "owner.lock"
FIRST_SHARD = "shard"
_SHARD_DIR = re.compile(r"^shard(?:-(\d+))?$")


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step (temp file, fsync, rename): readers see the old or the new file."""
    tmp = path.with_name(f"{path.name}.tmp")
    with open(tmp, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def live_shard_dir(folder: Path) -> Path:
    pointer = folder / LIVE_FILE
    if not pointer.is_file():
        return folder / FIRST_SHARD
    return folder / json.loads(pointer.read_text())["shard"]


def set_live_shard(folder: Path, shard_dir: Path) -> None:
    """The commit point of an index swap."""
    write_atomic(folder / LIVE_FILE, json.dumps({"shard": shard_dir.name}))
    dir_fd = os.open(folder, os.O_RDONLY)  # the rename itself survives a power cut only once the folder is synced
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def shard_number(shard_dir: Path) -> int:
    m = _SHARD_DIR.match(shard_dir.name)
    return int(m.group(1) or 0) if m else -1


def next_shard_dir(folder: Path) -> Path:
    numbers = [shard_number(p) for p in folder.iterdir()]
    return folder / f"shard-{max(numbers, default=0) + 1}"


def remove_orphans(folder: Path) -> bool:
    """Remove shard folders that are not live: a build a crash interrupted (numbered above the live one: True is
    returned) or an old shard not yet deleted. Only the owner (who holds `owner.lock`) may call this."""
    live = live_shard_dir(folder)
    interrupted = False
    for p in folder.iterdir():
        if shard_number(p) >= 0 and p != live and p.is_dir():
            shutil.rmtree(p)
            interrupted |= shard_number(p) > shard_number(live)
    return interrupted


def take_ownership(folder: Path, name: str) -> IO[str]:
    """Hold the collection for this process (released when the returned file is closed). A second opener gets
    StoreUnavailable, as it would from the shard's own write-ahead-log lock; unlike that lock, this one also
    covers the moment between reading `live.json` and opening the shard it names."""
    fh = open(folder / OWNER_LOCK, "w")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise StoreUnavailable(
            f"collection '{name}' is in use by another process (a `grounded ingest` or a server on the same "
            "GROUNDED_HOME); try again when it is done"
        ) from None
    return fh
