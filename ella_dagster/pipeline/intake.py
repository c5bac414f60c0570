"""Getting documents in: demo data, the portal's upload, and registering what the store received."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from ella_dagster.db.models import ChecklistItem, ChecklistTemplate, Client, RawImage, TaxCase
from ella_dagster.db.session import Database
from ella_dagster.domain.doc_types import DocType
from ella_dagster.domain.errors import sanitize_error
from ella_dagster.domain.naming import InvalidCaseId, checked_case_id, extension_of, raw_key
from ella_dagster.domain.status import DocumentStatus
from ella_dagster.domain.uploads import (
    EXTENSION_BY_MIME,
    MIME_BY_EXTENSION,
    UploadRejected,
    check_batch_size,
    validate_upload,
)
from ella_dagster.store import DocumentStore, ObjectInfo, S3DocumentStore, UploadMarker, new_upload_id

DEMO_CLIENT_ID = "client_demo"
DEMO_CASE_ID = "case_demo"
DEMO_CLIENT_NAME = "Nguyễn Văn An"
DEMO_CHECKLIST = (
    (DocType.W2, "W-2 from each employer", 2),
    (DocType.FORM_1099_INT, "1099-INT for interest", 1),
    (DocType.FORM_1099_NEC, "1099-NEC for contract work", 1),
    (DocType.SSN_CARD, "Social Security card", 1),
    (DocType.DRIVER_LICENSE, "Driver license or state ID", 1),
)


def seed_demo(
    db: Database, *, case_id: str = DEMO_CASE_ID, client_name: str = DEMO_CLIENT_NAME, tax_year: int = 2024
) -> str:
    """A client, a case and its checklist; safe to run again."""
    client_id = f"client_{case_id}" if case_id != DEMO_CASE_ID else DEMO_CLIENT_ID
    with db.transaction() as s:
        if s.get(Client, client_id) is None:
            s.add(Client(id=client_id, name=client_name))
        if s.get(TaxCase, case_id) is None:
            s.add(TaxCase(id=case_id, client_id=client_id, tax_year=tax_year))
        for order, (doc_type, label, expected) in enumerate(DEMO_CHECKLIST):
            template_id = f"tpl_1040_{doc_type.value.lower()}"
            if s.get(ChecklistTemplate, template_id) is None:
                s.add(
                    ChecklistTemplate(
                        id=template_id,
                        tax_type="FORM_1040",
                        doc_type=doc_type.value,
                        label=label,
                        sort_order=order,
                    )
                )
                s.flush()
            item_id = f"chk_{case_id}_{doc_type.value.lower()}"
            if s.get(ChecklistItem, item_id) is None:
                s.add(ChecklistItem(id=item_id, case_id=case_id, template_id=template_id, expected_count=expected))
    return case_id


@dataclass(frozen=True)
class UploadOutcome:
    filename: str
    upload_id: str | None
    key: str | None
    rejected: str | None = None


def upload_files(
    db: Database, store: DocumentStore, case_id: str, files: list[tuple[str, bytes]]
) -> list[UploadOutcome]:
    """The portal's upload: validate each file, store the accepted ones, journal them for the sensor.
    A bad batch (invalid or unknown case, too many files) raises UploadRejected with a one-line reason."""
    try:
        checked_case_id(case_id)
    except InvalidCaseId as exc:
        raise UploadRejected(str(exc)) from None
    check_batch_size(len(files))
    with db.transaction() as s:
        if s.get(TaxCase, case_id) is None:
            raise UploadRejected(f"unknown case {case_id!r}")
    outcomes = []
    for filename, data in files:
        try:
            accepted = validate_upload(filename, data)
        except UploadRejected as exc:
            outcomes.append(UploadOutcome(filename, None, None, str(exc)))
            continue
        upload_id = new_upload_id()
        key = raw_key(case_id, upload_id, EXTENSION_BY_MIME[accepted.mime_type])
        try:
            store.put(key, data, {"case-id": case_id, "original-filename": filename, "mime-type": accepted.mime_type})
        except Exception as exc:  # noqa: BLE001 - this file is not stored; the ones before it are
            if S3DocumentStore.is_missing_bucket(exc) and not any(o.upload_id for o in outcomes):
                bucket = getattr(store, "bucket", "?")
                raise UploadRejected(f"bucket {bucket} does not exist (run `ella init` to create it)") from None
            outcomes.append(UploadOutcome(filename, None, None, f"not stored ({_again(exc)}): {_reason(exc)}"))
            continue
        try:
            store.record_upload(upload_id, key)  # journalled last: "stored" means the sensor will see it
        except Exception as exc:  # noqa: BLE001
            # The marker may have been written all the same (a timeout after the write): the object
            # stays, so such an upload is processed, and an upload made again is its duplicate.
            outcomes.append(UploadOutcome(filename, None, None, f"not confirmed ({_again(exc)}): {_reason(exc)}"))
            continue
        outcomes.append(UploadOutcome(filename, upload_id, key))
    return outcomes


def _again(exc: BaseException) -> str:
    return "upload it again" if is_transient(exc) else "not retried"


def _reason(exc: BaseException) -> str:
    return sanitize_error(f"{exc.__class__.__name__}: {exc}", max_length=200)


def registered_ids(db: Database, upload_ids: list[str]) -> set[str]:
    """Which of these uploads already have their raw_images row."""
    found: set[str] = set()
    with db.transaction() as s:
        for start in range(0, len(upload_ids), 500):
            chunk = upload_ids[start : start + 500]
            found.update(s.scalars(select(RawImage.id).where(RawImage.id.in_(chunk))))
    return found


def is_transient(exc: BaseException) -> bool:
    """Whether registering may work on a later try. Only what is known to be about the marker itself
    is permanent (a database integrity or data error such as no such case, a malformed key or
    marker, an object-store 4xx about the request); anything else, unknown errors included, is
    retried on a later tick, because passing a marker that could have worked loses its upload."""
    from botocore.exceptions import ClientError
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(exc, OperationalError | InterfaceError):  # locked, restarted
        return True
    if isinstance(exc, DBAPIError):  # integrity (no such case), data errors: the marker itself is wrong
        return False
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = exc.response.get("Error", {}).get("Code")
        # 403: credentials or policy, fixed by an operator; 408/409/429: timeouts, a concurrent
        # conditional write (ConditionalRequestConflict), throttling.
        return status >= 500 or status in (403, 408, 409, 429) or code in ("SlowDown", "Throttling")
    return not isinstance(exc, FileNotFoundError | ValueError | KeyError | LookupError)


def _raw_row(store: DocumentStore, marker: UploadMarker) -> RawImage:
    try:
        stored = store.stat(marker.object_key)  # metadata only: a tick never downloads documents
    except FileNotFoundError:
        # Journalled but gone: still registered, so its run fails it visibly instead of losing it.
        stored = ObjectInfo(0, {})
    case_id = stored.metadata.get("case-id") or marker.object_key.split("/")[1]
    ext = extension_of(marker.object_key)
    return RawImage(
        id=marker.upload_id,
        case_id=case_id,
        storage_key=marker.object_key,
        original_key=marker.object_key,
        original_filename=stored.metadata.get("original-filename", marker.object_key.rsplit("/", 1)[-1]),
        mime_type=stored.metadata.get("mime-type", MIME_BY_EXTENSION.get(ext, f"application/{ext}")),
        file_size=stored.size,
        status=DocumentStatus.UPLOADED,
        uploaded_at=dt.datetime.fromtimestamp(int(marker.upload_id[:12], 16) / 1000, dt.UTC).replace(tzinfo=None),
    )


def register_upload(db: Database, store: DocumentStore, marker: UploadMarker) -> RawImage:
    """The raw_images row for a journalled upload, created once however often it is seen."""
    with db.transaction() as s:
        existing = s.get(RawImage, marker.upload_id)
        if existing is not None:
            return existing
        raw = _raw_row(store, marker)
        s.add(raw)
        return raw


def register_uploads(db: Database, store: DocumentStore, markers: list[UploadMarker]) -> None:
    """Many uploads in one transaction (a tick's worth): all registered, or none and the error raised."""
    with db.transaction() as s:
        known = set(s.scalars(select(RawImage.id).where(RawImage.id.in_([m.upload_id for m in markers]))))
        for marker in markers:
            if marker.upload_id not in known:
                s.add(_raw_row(store, marker))
                known.add(marker.upload_id)
