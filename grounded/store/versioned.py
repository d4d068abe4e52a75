"""Collection names as aliases over concrete index versions, for either adapter.

`VersionedStore` wraps a store and is itself a `VectorStore`: every call naming a collection resolves the alias
to the live version first, so ingest, search and the API keep using plain names. A collection `handbook` is
backed by `handbook@v1`, `handbook@v2`, ...; a reindex builds the next version beside the live one, and promotion
is one alias swap (a Qdrant alias operation on a server, one atomic file replace in the embedded engine). Each
version's record (`CollectionInfo.index`: build settings, status, eval summary, the version it replaced) lives in
the version's own collection metadata; whether it is live is read from the alias only, so nothing can disagree.
Collections made before versioning (no alias, no record) keep working as their own single version.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

import numpy as np
from pydantic import BaseModel, Field

from grounded.contracts import Chunk, CollectionInfo, Evidence, IndexVersion, VersionStatus, utcnow
from grounded.sparse import SparseVec
from grounded.store.base import CollectionNotFound, StoreQuery, VectorStore

SEPARATOR = "@"  # not allowed in collection names (api NAME_PATTERN), so a version never shadows a collection
_VERSION = re.compile(r"^v(\d+)$")


class VersionError(ValueError):
    """A versioning request that cannot be honoured (unknown version, nothing to roll back to, ...)."""


def version_id(alias: str, version: str) -> str:
    return f"{alias}{SEPARATOR}{version}"


def _number(version: str) -> int:
    m = _VERSION.match(version)
    return int(m.group(1)) if m else 0


class VersionEntry(BaseModel):
    """One row of `grounded versions`."""

    version: str
    id: str = Field(description="the concrete index id answers and traces name")
    live: bool
    status: VersionStatus
    embed_model: str
    build: dict = Field(default_factory=dict)
    eval: dict | None = None
    previous: str | None = None
    error: str | None = None
    created_at: str
    built_at: str | None = None
    chunks: int | None = None


class VersionedStore:
    """A `VectorStore` whose collection names are aliases (see the module docstring)."""

    def __init__(self, base: VectorStore, default_build: dict | None = None, retention: int = 2) -> None:
        self.base = base
        self.kind = base.kind
        self.default_build = default_build or {}
        self.retention = retention
        self._revisions: dict[str, int] = {}

    def revision(self, index_id: str) -> int:
        """Writes this process made to a concrete index: answer-cache keys include it, so an ingest into the live
        version invalidates by construction."""
        return self._revisions.get(index_id, 0)

    def _wrote(self, name: str) -> str:
        target = self.resolve(name)
        self._revisions[target] = self._revisions.get(target, 0) + 1
        return target

    # ------------------------------------------------------------ resolution

    def resolve(self, name: str) -> str:
        """The concrete index behind `name` right now (a version id, or `name` itself if it is not an alias)."""
        return self.base.aliases().get(name, name)

    def _versions(self, alias: str) -> list[CollectionInfo]:
        infos = [i for i in self.base.list_collections() if i.index is not None and i.index.alias == alias]
        return sorted(infos, key=lambda i: _number(i.index.version))

    # ------------------------------------------------------------ VectorStore: collections

    def list_collections(self) -> list[CollectionInfo]:
        aliases = self.base.aliases()
        physical = {i.name: i for i in self.base.list_collections()}
        out = [physical[t].model_copy(update={"name": a}) for a, t in aliases.items() if t in physical]
        out += [i for n, i in physical.items() if i.index is None and n not in aliases]
        return sorted(out, key=lambda i: i.name)

    def get_collection(self, name: str) -> CollectionInfo | None:
        info = self.base.get_collection(self.resolve(name))
        return info.model_copy(update={"name": name}) if info is not None else None

    def create_collection(self, info: CollectionInfo) -> None:
        """A new collection is its version v1 plus the alias."""
        versions = self._versions(info.name)
        n = _number(versions[-1].index.version) + 1 if versions else 1  # a crash may have left an orphan
        target = version_id(info.name, f"v{n}")
        record = IndexVersion(alias=info.name, version=f"v{n}", build=self.default_build,
                              status=VersionStatus.PROMOTED, built_at=utcnow())
        self.base.create_collection(info.model_copy(update={"name": target, "index": record}))
        self.base.set_alias(info.name, target)

    def update_collection(self, info: CollectionInfo) -> None:
        target = self.resolve(info.name)
        current = self.base.get_collection(target)
        index = info.index or (current.index if current else None)
        self.base.update_collection(info.model_copy(update={"name": target, "index": index}))

    def delete_collection(self, name: str) -> bool:
        aliases = self.base.aliases()
        if name in aliases:
            versions = self._versions(name)
            for v in versions:  # opens each version: a version held by another process fails here, alias intact
                self.base.count(v.name)
            self.base.set_alias(name, None)  # invisible first, then removed
            for v in versions:
                self.base.delete_collection(v.name)
            return True
        return self.base.delete_collection(name)

    # ------------------------------------------------------------ VectorStore: points (on the live version)

    def upsert(self, name: str, chunks: list[Chunk], dense: np.ndarray, sparse: list[SparseVec]) -> None:
        self.base.upsert(self._wrote(name), chunks, dense, sparse)

    def delete_document(self, name: str, doc_id: str, keep_hash: str | None = None) -> None:
        self.base.delete_document(self._wrote(name), doc_id, keep_hash)

    def payloads(self, name: str, fields: list[str]) -> Iterable[dict[str, Any]]:
        return self.base.payloads(self.resolve(name), fields)

    def count(self, name: str) -> int:
        return self.base.count(self.resolve(name))

    def flush(self, name: str) -> None:
        self.base.flush(self.resolve(name))

    def search(self, name: str, query: StoreQuery) -> list[Evidence]:
        return self.base.search(self.resolve(name), query)

    def aliases(self) -> dict[str, str]:
        return self.base.aliases()

    def set_alias(self, alias: str, target: str | None) -> None:
        self.base.set_alias(alias, target)

    def ping(self) -> None:
        self.base.ping()

    def close(self) -> None:
        self.base.close()

    # ------------------------------------------------------------ versions

    def versions(self, name: str) -> list[VersionEntry]:
        live = self.resolve(name)
        infos = self._versions(name)
        if not infos:
            legacy = self.base.get_collection(name)
            if legacy is None:
                raise CollectionNotFound(name)
            infos = [legacy.model_copy(update={"index": IndexVersion(alias=name, version="v0",
                                                                      status=VersionStatus.PROMOTED)})]
        out = []
        for info in infos:
            rec = info.index
            try:
                chunks = self.base.count(info.name)
            except CollectionNotFound:
                chunks = None
            out.append(VersionEntry(
                version=rec.version, id=info.name, live=info.name == live, status=rec.status,
                embed_model=info.embed_model, build=rec.build, eval=rec.eval, previous=rec.previous,
                error=rec.error, created_at=info.created_at.isoformat(),
                built_at=rec.built_at.isoformat() if rec.built_at else None, chunks=chunks,
            ))
        return out

    def find_version(self, name: str, version: str) -> CollectionInfo:
        """`version` as 'v3', '3' or the full id 'name@v3'."""
        wanted = version.split(SEPARATOR)[-1]
        wanted = wanted if wanted.startswith("v") else f"v{wanted}"
        for info in self._versions(name):
            if info.index.version == wanted:
                return info
        if self.get_collection(name) is None:
            raise CollectionNotFound(name)
        raise VersionError(f"collection '{name}' has no version {version}")

    def create_version(self, name: str, embed_model: str, dimension: int, build: dict) -> CollectionInfo:
        """An empty next version beside the live one (status building); the alias does not move."""
        live = self.get_collection(name)
        if live is None:
            raise CollectionNotFound(name)
        if live.index is None:
            raise VersionError(
                f"collection '{name}' predates index versions; re-create it (ingest into a new name) to reindex")
        versions = self._versions(name)
        n = _number(versions[-1].index.version) + 1
        info = CollectionInfo(
            name=version_id(name, f"v{n}"), embed_model=embed_model, dimension=dimension,
            source_path=live.source_path, sources=live.sources,
            created_at=live.created_at,  # the collection's identity (a deleted namesake's traces stay hidden)
            index=IndexVersion(alias=name, version=f"v{n}", build=build, status=VersionStatus.BUILDING),
        )
        self.base.create_collection(info)
        return info

    def record(self, info: CollectionInfo, **changes: Any) -> CollectionInfo:
        """Update a version's record (status, eval summary, error, ...)."""
        updated = info.model_copy(update={"index": info.index.model_copy(update=changes)})
        self.base.update_collection(updated)
        return updated

    def promote(self, name: str, version: str) -> CollectionInfo:
        """Make `version` live with one alias swap; the version it replaces is remembered for rollback."""
        target = self.find_version(name, version)
        if target.index.status in (VersionStatus.BUILDING, VersionStatus.FAILED):
            raise VersionError(f"version {target.index.version} of '{name}' is {target.index.status.value}")
        live = self.resolve(name)
        if target.name == live:
            return target
        target = self.record(target, status=VersionStatus.PROMOTED, previous=live)
        self.base.set_alias(name, target.name)
        self.apply_retention(name)
        return target

    def rollback(self, name: str) -> CollectionInfo:
        """Back to the version the live one replaced."""
        live = self.base.get_collection(self.resolve(name))
        if live is None:
            raise CollectionNotFound(name)
        previous = live.index.previous if live.index else None
        if previous is None or self.base.get_collection(previous) is None:
            raise VersionError(f"collection '{name}' has no previous version to roll back to")
        self.base.set_alias(name, previous)
        return self.base.get_collection(previous)

    def apply_retention(self, name: str) -> list[str]:
        """Drop the oldest non-live versions beyond `retention`; the live one's rollback target always stays."""
        live_id = self.resolve(name)
        live = self.base.get_collection(live_id)
        keep = {live_id, live.index.previous if live and live.index else None}
        others = [v for v in self._versions(name) if v.name not in keep]
        budget = max(0, self.retention - (1 if live and live.index and live.index.previous else 0))
        doomed = others[: max(0, len(others) - budget)]
        for info in doomed:
            if info.index.status is not VersionStatus.BUILDING:
                self.base.delete_collection(info.name)
        return [i.name for i in doomed]
