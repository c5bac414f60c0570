"""A folder on this machine as the document store (the embedded default)."""

from __future__ import annotations

import json
import os
import shutil
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

    def put(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        if metadata:
            meta = self._meta_path(key)
            meta.parent.mkdir(parents=True, exist_ok=True)
            meta.write_text(json.dumps(metadata))
        os.replace(tmp, path)  # atomic: a reader never sees half a file

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
        destination = self._path(target)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self._path(source), destination)
        if self._meta_path(source).exists():
            self._meta_path(target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self._meta_path(source), self._meta_path(target))

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
        self._meta_path(key).unlink(missing_ok=True)

    def _list_journal(self, after: str | None, limit: int) -> list[tuple[str, str]]:
        journal = self.root / JOURNAL_PREFIX
        if not journal.exists():
            return []
        after_day = after.split("/")[1] if after else ""
        found: list[tuple[str, str]] = []
        # Only day folders from the cursor's day on are read.
        for day in sorted(d for d in os.listdir(journal) if d >= after_day):
            for name in sorted(os.listdir(journal / day)):
                marker = f"{JOURNAL_PREFIX}{day}/{name}"
                if name.startswith(".") or (after and marker <= after):
                    continue
                found.append((marker, (journal / day / name).read_text()))
                if len(found) >= limit:
                    return found
        return found
