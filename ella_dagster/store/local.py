"""A folder on this machine as the document store (the embedded default)."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from ella_dagster.store.base import JOURNAL_PREFIX, DocumentStore, ObjectInfo, StoredObject

_META = "_meta"


class LocalDocumentStore(DocumentStore):
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()) or key.startswith(_META):
            raise ValueError(f"key outside the store: {key!r}")
        return path

    def _meta_path(self, key: str) -> Path:
        return self.root / _META / f"{key}.json"

    @staticmethod
    def _written(path: Path, data: bytes) -> Path:
        """A new temporary file beside `path` holding `data`, flushed to disk. Its own name (two writers
        never share one) starts with a dot, so no listing takes it for an object or a marker."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        return tmp

    def _write_meta(self, key: str, metadata: dict[str, str] | None) -> None:
        """The object's metadata replaced as a whole (as on S3): none leaves no file."""
        meta = self._meta_path(key)
        if not metadata:
            meta.unlink(missing_ok=True)
            return
        tmp = self._written(meta, json.dumps(metadata).encode())
        os.replace(tmp, meta)

    def put(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        path = self._path(key)
        tmp = self._written(path, data)
        try:
            self._write_meta(key, metadata)
            os.replace(tmp, path)  # atomic: a reader never sees half a file
        finally:
            tmp.unlink(missing_ok=True)

    def put_if_absent(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        path = self._path(key)
        tmp = self._written(path, data)
        try:
            try:
                os.link(tmp, path)  # atomic and exclusive: FileExistsError when the key is taken
            except FileExistsError:
                raise
            except OSError:  # a file system without hard links: exclusive create (O_EXCL) instead
                with open(path, "xb") as file:
                    file.write(data)
        finally:
            tmp.unlink(missing_ok=True)
        # Only the writer that created the object writes its metadata; nobody reads the key before
        # the database points at it, which is after this returns.
        self._write_meta(key, metadata)

    def get(self, key: str) -> StoredObject:
        info = self.stat(key)
        return StoredObject(self._path(key).read_bytes(), info.metadata)

    def stat(self, key: str) -> ObjectInfo:
        path = self._path(key)
        if not path.exists():
            raise FileNotFoundError(key)
        meta = self._meta_path(key)
        return ObjectInfo(path.stat().st_size, json.loads(meta.read_text()) if meta.exists() else {})

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def copy(self, source: str, target: str) -> None:
        """Replaces `target` in one step (through a temporary file), never leaving half a file."""
        original = self.get(source)
        self.put(target, original.data, original.metadata)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
        self._meta_path(key).unlink(missing_ok=True)

    def _list_markers(self, after: str | None, limit: int, until: str | None = None) -> list[str]:
        journal = self.root / JOURNAL_PREFIX
        if not journal.exists():
            return []
        after_day = after.split("/")[1] if after else ""
        found: list[str] = []
        # Only day folders from the cursor's day on are read.
        for day in sorted(d for d in os.listdir(journal) if d >= after_day):
            for name in sorted(os.listdir(journal / day)):
                marker = f"{JOURNAL_PREFIX}{day}/{name}"
                if name.startswith(".") or (after and marker <= after):
                    continue
                if (until and marker > until) or len(found) >= limit:
                    return found
                found.append(marker)
        return found
        return found
