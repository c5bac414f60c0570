"""What the pipeline needs from a store, and the upload journal that makes new uploads cheap to find.

Every upload writes its object under `cases/{case}/raw/{upload}.{ext}` and a tiny marker under
`_uploads/{yyyymmdd}/{upload}`. Upload ids start with the upload time, so markers sort in upload
order and the sensor lists only markers after its cursor (S3 `StartAfter`): a tick costs what is
new, not what the store holds.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

JOURNAL_PREFIX = "_uploads/"


_last_millis = 0


def new_upload_id(now: float | None = None) -> str:
    """Time-ordered, unique: 12 hex digits of milliseconds (strictly increasing within a process)
    + 8 random hex digits, so upload order is id order."""
    global _last_millis
    millis = max(int((now if now is not None else time.time()) * 1000), _last_millis + 1)
    _last_millis = millis
    return f"{millis:012x}{secrets.token_hex(4)}"


def marker_key(upload_id: str) -> str:
    millis = int(upload_id[:12], 16)
    day = dt.datetime.fromtimestamp(millis / 1000, dt.UTC).strftime("%Y%m%d")
    return f"{JOURNAL_PREFIX}{day}/{upload_id}"


@dataclass(frozen=True)
class UploadMarker:
    marker: str  # the journal key, which is also the sensor cursor
    upload_id: str
    object_key: str


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ObjectInfo:
    """What a store knows about an object without reading it: size and metadata."""

    size: int
    metadata: dict[str, str] = field(default_factory=dict)


def encode_metadata(metadata: dict[str, str]) -> dict[str, str]:
    """Object metadata must be ASCII on S3: percent-encode values (file names may be Vietnamese)."""
    return {k: quote(v, safe=" ._-()") for k, v in metadata.items()}


def decode_metadata(metadata: dict[str, str]) -> dict[str, str]:
    return {k: unquote(v) for k, v in metadata.items()}


class DocumentStore(ABC):
    @abstractmethod
    def put(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None: ...

    @abstractmethod
    def get(self, key: str) -> StoredObject: ...

    @abstractmethod
    def stat(self, key: str) -> ObjectInfo:
        """Size and metadata without the body; FileNotFoundError when absent."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def copy(self, source: str, target: str) -> None: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def _list_journal(self, after: str | None, limit: int) -> list[tuple[str, str]]:
        """(marker key, object key) pairs after `after`, in key order, at most `limit`."""

    def record_upload(self, upload_id: str, object_key: str) -> str:
        marker = marker_key(upload_id)
        self.put(marker, object_key.encode())
        return marker

    def new_uploads(self, after: str | None, limit: int) -> list[UploadMarker]:
        return [
            UploadMarker(marker, marker.rsplit("/", 1)[-1], object_key)
            for marker, object_key in self._list_journal(after, limit)
        ]

    def move(self, source: str, target: str) -> bool:
        """Copy then delete (stores have no rename). Returns False when only the delete failed:
        an orphaned old object is acceptable, the database is the source of truth."""
        if source == target:
            return True
        self.copy(source, target)
        try:
            self.delete(source)
        except Exception:  # noqa: BLE001 - any delete failure leaves a harmless orphan
            return False
        return True
