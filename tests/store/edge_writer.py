"""A process that writes a collection through a background index build, reporting each acknowledged step on
stdout; tests/store/test_edge_crash.py kills it (kill -9) at every step of the build and swap.

    python tests/store/edge_writer.py ROOT        (GROUNDED_TEST_KILL_AT=<step> makes it kill itself there)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from edge_points import DIM, batch

from grounded.contracts import CollectionInfo
from grounded.settings import IndexPolicy
from grounded.store.embedded import EmbeddedStore

BUILD_AFTER = 1_000


def say(line: str) -> None:
    print(line, flush=True)


def main(root: Path) -> None:
    store = EmbeddedStore(root, IndexPolicy(build_after=BUILD_AFTER, max_unindexed=None))
    store.create_collection(CollectionInfo(name="big", embed_model="m", dimension=DIM))
    store.upsert("big", *batch(0, BUILD_AFTER))  # starts the build
    say(f"ACK {BUILD_AFTER}")
    live = store._live("big")
    for _ in range(60_000):
        build = live._build
        if build is not None and build.process is not None:
            say(f"BUILDING {build.process.pid}")
            break
        time.sleep(0.01)
    store.upsert("big", *batch(BUILD_AFTER, 100))  # during the build: replayed at the swap
    say(f"ACK {BUILD_AFTER + 100}")
    store.delete_document("big", "f0/doc0.md")
    say("DELETED")
    store.wait_for_index("big")
    say("INDEXED")
    time.sleep(600)  # killed here: never closed


if __name__ == "__main__":
    main(Path(sys.argv[1]))
