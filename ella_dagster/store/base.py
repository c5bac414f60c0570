"""What the pipeline needs from a store, and the upload journal that makes new uploads cheap to find.

Every upload writes its object under `cases/{case}/raw/{upload}.{ext}` and then, once the object is in
place, a tiny marker `_uploads/{yyyymmdd}/{written}.{upload}` whose name starts with the time the marker
was written. Markers sort in the order they were written, so the sensor lists only markers after its
cursor (S3 `StartAfter`): a tick costs what is new, not what the store holds. A marker that became
visible late (a slow write, a clock a little behind) still sorts within the sensor's overlap window
and is registered then (see `sensors/uploads.py`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
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


def _day(millis: int) -> str:
    return dt.datetime.fromtimestamp(millis / 1000, dt.UTC).strftime("%Y%m%d")


def marker_key(upload_id: str, written: float | None = None) -> str:
    """The journal key of an upload whose marker is written now (or at `written`, epoch seconds)."""
    millis = int((time.time() if written is None else written) * 1000)
    return f"{JOURNAL_PREFIX}{_day(millis)}/{millis:012x}.{upload_id}"


def journal_floor(marker: str, seconds: float) -> str:
    """A key that sorts before every marker written `seconds` before `marker` was."""
    millis = max(0, marker_millis(marker) - int(seconds * 1000))
    return f"{JOURNAL_PREFIX}{_day(millis)}/{millis:012x}"


def marker_millis(marker: str) -> int:
    return int(marker.rsplit("/", 1)[-1][:12], 16)


def upload_id_of(marker: str) -> str:
    """`{written}.{upload}` (or the older `{upload}`, whose id starts with its own time)."""
    return marker.rsplit("/", 1)[-1].rsplit(".", 1)[-1]


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
    def put_if_absent(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        """Write `key` only if no object has it, atomically on the store: FileExistsError when one does."""

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
    def _list_markers(self, after: str | None, limit: int, until: str | None = None) -> list[str]:
        """Marker keys after `after` (and at most `until`), in key order, at most `limit`."""

    def _read_marker(self, marker: str) -> str:
        """The object key a marker points at."""
        return self.get(marker).data.decode()

    def record_upload(self, upload_id: str, object_key: str) -> str:
        """Journals an upload whose object is already in place: the marker is always the last write."""
        marker = marker_key(upload_id)
        self.put(marker, object_key.encode())
        return marker

    def list_markers(self, after: str | None, limit: int, until: str | None = None) -> list[str]:
        return self._list_markers(after, limit, until)

    def read_marker(self, marker: str) -> UploadMarker:
        return UploadMarker(marker, upload_id_of(marker), self._read_marker(marker))

    def new_uploads(self, after: str | None, limit: int) -> list[UploadMarker]:
        return [self.read_marker(m) for m in self._list_markers(after, limit)]

    def move(self, source: str, target: str) -> bool:
        """Copy then delete (stores have no rename): the copy never replaces an object and is verified
        before the source goes (`copy_if_absent`). Returns False when only the delete failed: an
        orphaned old object is acceptable, the database is the source of truth."""
        if source == target:
            return True
        self.copy_if_absent(source, target)
        try:
            self.delete(source)
        except Exception:  # noqa: BLE001 - any delete failure leaves a harmless orphan
            return False
        return True

    def copy_if_absent(self, source: str, target: str) -> str:
        """Put the source's bytes (and metadata) at `target` without ever replacing an object there,
        then re-read the target: returns the sha256 of the bytes now in place, which are the source's.

        An object already at `target` with the same bytes is kept (a copy interrupted after it was
        written, e.g. before the database recorded it); one with other bytes is never touched:
        FileExistsError. FileNotFoundError when the source is missing (or the copy vanished)."""
        original = self.get(source)
        digest = hashlib.sha256(original.data).hexdigest()
        with contextlib.suppress(FileExistsError):  # whose is it? the bytes decide, below
            self.put_if_absent(target, original.data, original.metadata)
        placed = self.get(target)  # FileNotFoundError if it went again: not verified, nothing deleted
        if len(placed.data) != len(original.data) or hashlib.sha256(placed.data).hexdigest() != digest:
            raise FileExistsError(target)
        return digest
