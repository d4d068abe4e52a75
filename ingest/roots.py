"""Which source root a sync belongs to, and which stored documents its pruning may touch.

A collection remembers every root (folder, file, corpus.jsonl) it was synced from, and each chunk records the id
of its root. A path inside a remembered folder root syncs as part of that root (doc ids stay relative to it) and
prunes only under that path; any other path becomes a new root. So pruning never reaches another root's
documents, and a single file can only add or replace its own document.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grounded.contracts import CollectionInfo, SourceKind, SourceRoot
from grounded.ingest.sources import real_path


def root_id(kind: SourceKind, where: str) -> str:
    return hashlib.sha256(f"{kind.value}:{where}".encode()).hexdigest()[:16]


def namespace_root(prefix: str, path: Path) -> SourceRoot:
    """The root of API uploads: doc ids under `prefix`, files kept in `path`."""
    return SourceRoot(id=root_id(SourceKind.NAMESPACE, prefix), path=str(path.resolve()), kind=SourceKind.NAMESPACE)


def new_root(path: Path) -> SourceRoot:
    resolved = real_path(path)
    if resolved.is_dir():
        kind = SourceKind.FOLDER
    elif resolved.suffix == ".jsonl":
        kind = SourceKind.JSONL
    else:
        kind = SourceKind.FILE
    return SourceRoot(id=root_id(kind, str(resolved)), path=str(resolved), kind=kind)


@dataclass(frozen=True)
class Target:
    """A sync's root, the folder its doc ids are relative to, and the doc-id scope its pruning may touch."""

    root: SourceRoot
    base: Path
    scope: str | None  # '' = the whole root; 'hr/' = a subfolder; 'hr/leave.md' = one document; None = nothing
    is_new: bool

    def in_scope(self, doc_id: str) -> bool:
        if self.scope is None:
            return False
        if not self.scope:
            return True
        return doc_id.startswith(self.scope) if self.scope.endswith("/") else doc_id == self.scope


def resolve(path: Path, info: CollectionInfo | None) -> Target:
    """The target for syncing `path` into a collection described by `info` (None: it does not exist yet)."""
    resolved = real_path(path)
    roots = known_roots(info)
    for root in roots:
        if Path(root.path) == resolved:
            base = resolved if root.kind is SourceKind.FOLDER else resolved.parent
            scope = "" if root.kind is not SourceKind.FILE else resolved.name
            return Target(root, base, scope, is_new=False)
    folders = sorted((r for r in roots if r.kind is SourceKind.FOLDER), key=lambda r: -len(r.path))
    for root in folders:
        base = Path(root.path)
        if resolved.is_relative_to(base):
            rel = PurePosixPath(resolved.relative_to(base).as_posix())
            if resolved.suffix == ".jsonl" and resolved.is_file():
                scope = None  # its records carry doc ids of their own, not paths: prune nothing
            else:
                scope = f"{rel}/" if resolved.is_dir() else str(rel)
            return Target(root, base, scope, is_new=False)
    root = new_root(path)
    if root.kind is SourceKind.FILE:
        return Target(root, resolved.parent, resolved.name, is_new=True)
    return Target(root, resolved if root.kind is SourceKind.FOLDER else resolved.parent, "", is_new=True)


def known_roots(info: CollectionInfo | None) -> list[SourceRoot]:
    """The collection's roots; one written before roots were recorded has its source_path as the only root."""
    if info is None:
        return []
    if info.sources or not info.source_path:
        return list(info.sources)
    return [legacy_root(Path(info.source_path))]


def legacy_root(path: Path) -> SourceRoot:
    root = new_root(path) if path.exists() else SourceRoot(
        id=root_id(SourceKind.FOLDER, str(path)), path=str(path), kind=SourceKind.FOLDER
    )
    return root.model_copy(update={"owns_untagged": True})


def owned_by(root: SourceRoot, doc_roots: set[str | None], doc_id: str, namespace: str) -> bool:
    """Does `root` own a stored document whose chunks carry `doc_roots`? Untagged (older) chunks belong to the
    uploads namespace if under it, else to the root that took over the old source_path."""
    if root.id in doc_roots:
        return True
    if None not in doc_roots:
        return False
    if root.kind is SourceKind.NAMESPACE:
        return doc_id.startswith(namespace)
    return root.owns_untagged and not doc_id.startswith(namespace)
