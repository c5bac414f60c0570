"""The six per-document steps. Each reads and writes the database, so a step can be re-run alone
and a re-run with the same inputs leaves the same rows (no second action, count or group)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ella_dagster.db.models import (
    ChecklistItem,
    ChecklistTemplate,
    ClassificationResult,
    Client,
    DigitalDoc,
    Extraction,
    ImageGroup,
    RawImage,
    TaxCase,
    utcnow,
)
from ella_dagster.db.session import Database
from ella_dagster.domain import extraction as schemas
from ella_dagster.domain.bundles import page_range
from ella_dagster.domain.doc_types import DocType, category_of, is_ocr_eligible
from ella_dagster.domain.errors import PermanentDocumentError, TransientDocumentError
from ella_dagster.domain.field_confidence import doubtful, field_confidences
from ella_dagster.domain.hashing import NEAR_DUPLICATE_BITS, DocumentHashes, compute_hashes, hamming
from ella_dagster.domain.naming import NamingComponents, display_name_from_key, renamed_key
from ella_dagster.domain.routing import (
    AUTO_LINK_THRESHOLD,
    ActionPriority,
    ActionSpec,
    ActionType,
    Route,
    action_for_route,
    decide_route,
)
from ella_dagster.domain.status import ChecklistStatus, DocumentStatus, ExtractionStatus
from ella_dagster.engines.base import Classification, Engine
from ella_dagster.pipeline import bundles
from ella_dagster.pipeline.actions import action_metadata, ensure_action, mark_failed, resolve_actions
from ella_dagster.store import DocumentStore, StoredObject

OCR_REVIEW_TITLE = "Xác minh dữ liệu OCR"


@dataclass
class StepResult:
    """What a step did, in terms safe to show any engineer (no PII)."""

    applied: bool = True
    reason: str | None = None
    values: dict[str, Any] = field(default_factory=dict)


def _raw(session: Session, doc_id: str) -> RawImage:
    raw = session.get(RawImage, doc_id)
    if raw is None:
        raise PermanentDocumentError(f"document {doc_id} is not registered")
    return raw


def fetch(store: DocumentStore, raw: RawImage) -> StoredObject:
    try:
        return store.get(raw.storage_key)
    except FileNotFoundError as exc:
        raise PermanentDocumentError(f"the uploaded file is missing from the store ({raw.storage_key})") from exc


def load_document(db: Database, store: DocumentStore, doc_id: str) -> tuple[RawImage, bytes]:
    with db.transaction() as s:
        raw = _raw(s, doc_id)
    return raw, fetch(store, raw).data


# 1 --------------------------------------------------------------------------------------------
def hash_document(db: Database, store: DocumentStore, doc_id: str) -> StepResult:
    """Hashes the document and decides whether it is an exact duplicate.

    The first document of a case to claim a sha256 is its original; every later one is a duplicate
    of it. The claim is the row itself: a partial unique index (migration 0005) allows one row per
    (case, sha256) that is not a duplicate, so two copies hashed at the same time cannot both become
    originals (the second commit fails, and it is hashed again against the first). Claiming by time
    of hashing, not by upload id, means a copy processed before its original (a crash, a redrive)
    keeps its link and the original, hashed later, is the duplicate: either way one is counted."""
    with db.transaction() as s:
        raw = _raw(s, doc_id)
    stored = fetch(store, raw)
    mime_type = stored.metadata.get("mime-type", raw.mime_type)
    hashes = compute_hashes(stored.data, mime_type)
    for attempt in range(CLAIM_ATTEMPTS):
        try:
            duplicate_of, others = _record_hashes(db, doc_id, stored, mime_type, hashes)
            break
        except IntegrityError:  # another copy claimed the same bytes in between: it is the original
            if attempt == CLAIM_ATTEMPTS - 1:
                raise
    candidates = sorted(i for i, p in others if hamming(p, hashes.phash) < NEAR_DUPLICATE_BITS and i != duplicate_of)
    family = {}
    if raw.parent_id:  # a document split from a scanned bundle
        family = {"parent": raw.parent_id, "pages": page_range(raw.page_start, raw.page_end)}
    return StepResult(
        values={
            "sha256": hashes.sha256,
            "phash": hashes.phash,
            "exact_duplicate_of": duplicate_of,
            "near_duplicate_candidates": candidates,
            **family,
        }
    )


CLAIM_ATTEMPTS = 3


def _record_hashes(
    db: Database, doc_id: str, stored: StoredObject, mime_type: str, hashes: DocumentHashes
) -> tuple[str | None, list[tuple[str, str]]]:
    with db.transaction() as s:
        raw = _raw(s, doc_id)
        raw.status, raw.error_message, raw.processed_at = DocumentStatus.PROCESSING, None, None
        # The object's own metadata wins (a file restored after a failed first attempt included).
        raw.mime_type, raw.file_size = mime_type, len(stored.data)
        raw.original_filename = stored.metadata.get("original-filename", raw.original_filename)
        original = s.scalars(
            select(RawImage)
            .where(
                RawImage.case_id == raw.case_id,
                RawImage.sha256 == hashes.sha256,
                RawImage.duplicate_of_id.is_(None),
                RawImage.id != raw.id,
            )
            .limit(1)
        ).first()
        raw.sha256, raw.phash = hashes.sha256, hashes.phash
        raw.duplicate_of_id = original.id if original else None
        if original:
            group = _group(s, raw.case_id, f"sha256:{hashes.sha256}", best_image_id=original.id)
            original.image_group_id = raw.image_group_id = group.id
        s.flush()  # the claim: a second original of these bytes fails here
        others = s.execute(
            select(RawImage.id, RawImage.phash).where(
                RawImage.case_id == raw.case_id, RawImage.id != raw.id, RawImage.phash.is_not(None)
            )
        ).all()
        return raw.duplicate_of_id, [tuple(row) for row in others]


def _group(session: Session, case_id: str, key: str, *, best_image_id: str, doc_type: str | None = None) -> ImageGroup:
    group_id = "grp_" + hashlib.sha256(f"{case_id}:{key}".encode()).hexdigest()[:20]
    group = session.get(ImageGroup, group_id)
    if group is None:
        try:
            with session.begin_nested():
                group = ImageGroup(
                    id=group_id,
                    case_id=case_id,
                    group_key=key,
                    best_image_id=best_image_id,
                    doc_type=doc_type,
                )
                session.add(group)
        except IntegrityError:  # a concurrent run created it first
            group = session.get(ImageGroup, group_id)
    assert group is not None
    return group


# 2 --------------------------------------------------------------------------------------------
def latest_classification(session: Session, doc_id: str) -> ClassificationResult | None:
    return session.scalars(
        select(ClassificationResult)
        .where(ClassificationResult.raw_image_id == doc_id)
        .order_by(ClassificationResult.id.desc())
        .limit(1)
    ).first()


def classify_document(
    db: Database, store: DocumentStore, engine: Engine, doc_id: str, run_id: str | None = None
) -> StepResult:
    split = bundles.existing_split(db, doc_id)  # a bundle split once keeps its children: no OCR again
    if split is not None:
        return StepResult(False, f"split into {split.values['children_count']} documents", split.values)
    with db.transaction() as s:
        raw = _raw(s, doc_id)
        reused = latest_classification(s, raw.duplicate_of_id) if raw.duplicate_of_id else None
    proposal: dict[str, Any] = {}
    if reused is not None:
        result = Classification(
            DocType(reused.doc_type),
            reused.confidence,
            reused.reasoning,
            reused.tax_year,
            reused.source,
            reused.alternatives,
            reused.engine,
            reused.engine_version,
        )
    else:
        _, data = load_document(db, store, doc_id)
        split = bundles.consider(db, store, doc_id, data)  # a multi-page PDF: one document or several?
        if split is not None and split.split:
            return StepResult(False, f"split into {split.values['children_count']} documents", split.values)
        if split is not None:
            proposal = {f"bundle_{k}": v for k, v in split.values.items()}
            proposal["bundle_review_action_id"] = split.review_action_id
        result = engine.classify(data, raw.mime_type)
    with db.transaction() as s:
        latest = latest_classification(s, doc_id)
        same = latest is not None and (
            latest.engine_version,
            latest.doc_type,
            latest.confidence,
            latest.tax_year,
            latest.source,
        ) == (result.engine_version, result.doc_type.value, result.confidence, result.tax_year, result.source)
        if not same:  # history grows only when the answer (or the engine) changed
            s.add(
                ClassificationResult(
                    raw_image_id=doc_id,
                    engine=result.engine,
                    engine_version=result.engine_version,
                    doc_type=result.doc_type.value,
                    confidence=result.confidence,
                    reasoning=result.reasoning,
                    alternatives=result.alternatives,
                    tax_year=result.tax_year,
                    source=result.source,
                    reused_from_id=raw.duplicate_of_id if reused else None,
                    run_id=run_id,
                    seconds=result.seconds,
                )
            )
    return StepResult(
        values={
            "doc_type": result.doc_type.value,
            "confidence": result.confidence,
            "engine": result.engine,
            "engine_version": result.engine_version,
            "tax_year": result.tax_year,
            "reasoning": result.reasoning,
            "reused_from": raw.duplicate_of_id if reused else None,
            "seconds": result.seconds,
            "history_row_added": not same,
            **{f"engine_{k}": v for k, v in result.usage.items()},
            **proposal,
        }
    )


# 3 --------------------------------------------------------------------------------------------
def route_document(db: Database, doc_id: str) -> StepResult:
    with db.transaction() as s:
        raw = _raw(s, doc_id)
        if raw.status == DocumentStatus.SPLIT:
            return StepResult(False, "not routed: split into child documents", {"route": None, "status": raw.status})
        result = latest_classification(s, doc_id)
        if result is None:
            raise PermanentDocumentError("no classification to route")
        doc_type = DocType(result.doc_type)
        route = decide_route(result.confidence)
        raw.ai_confidence, raw.classified_at = result.confidence, utcnow()
        raw.tax_year, raw.source = result.tax_year, result.source
        if raw.duplicate_of_id:
            raw.status, raw.route = DocumentStatus.DUPLICATE, None
            raw.classified_type, raw.category = doc_type.value, category_of(doc_type).value
            raw.checklist_item_id = None
            resolve_actions(s, raw.id, set(), "duplicate of an earlier upload")
            return StepResult(
                values={
                    "route": "duplicate",
                    "duplicate_of": raw.duplicate_of_id,
                    "doc_type": doc_type.value,
                    "confidence": result.confidence,
                }
            )
        raw.route = route.value
        if route is Route.UNCLASSIFIED:
            raw.status, raw.classified_type, raw.category, raw.checklist_item_id = (
                DocumentStatus.UNCLASSIFIED,
                None,
                None,
                None,
            )
        else:
            raw.status, raw.classified_type = DocumentStatus.CLASSIFIED, doc_type.value
            raw.category = category_of(doc_type).value
            raw.checklist_item_id = _checklist_item_id(s, raw.case_id, doc_type)
        spec = action_for_route(route, doc_type, result.confidence, result.reasoning)
        keep: set[ActionType] = {ActionType.REVIEW_SPLIT}  # the bundle's boundaries are another question
        action_id = None
        if spec:
            action_id = ensure_action(
                s,
                raw,
                spec,
                action_metadata(
                    raw,
                    doc_type=doc_type.value,
                    confidence=result.confidence,
                    checklist_item_id=raw.checklist_item_id,
                ),
            ).id
            keep.add(spec.type)
        resolved = resolve_actions(s, raw.id, keep, f"reclassified as {route.value}")
        return StepResult(
            values={
                "route": route.value,
                "status": raw.status,
                "doc_type": doc_type.value,
                "confidence": result.confidence,
                "checklist_item_id": raw.checklist_item_id,
                "action": spec.type.value if spec else None,
                "action_id": action_id,
                "actions_resolved": resolved,
            }
        )


def _checklist_item_id(session: Session, case_id: str, doc_type: DocType) -> str | None:
    return session.scalars(
        select(ChecklistItem.id)
        .join(ChecklistTemplate, ChecklistTemplate.id == ChecklistItem.template_id)
        .where(ChecklistItem.case_id == case_id, ChecklistTemplate.doc_type == doc_type.value)
        .order_by(ChecklistItem.id)
        .limit(1)
    ).first()


# 4 --------------------------------------------------------------------------------------------
class _NotOurs(Exception):
    """The rename lost its claim: the row moved meanwhile, or the object holds other bytes."""


class StoredBytesDiffer(Exception):
    """The document's object does not hold the bytes that were hashed: nothing is copied on."""


def rename_document(db: Database, store: DocumentStore, doc_id: str) -> StepResult:
    """Gives the document its conventional name without ever sharing or overwriting an object.

    A key is claimed by writing it into the row inside a transaction kept open while the object is
    copied there: the unique index on renamed keys makes a second claimant of the same key wait and
    then fail (IntegrityError), and it takes the name with the document id instead. The store write is
    conditional too (`copy_if_absent`: never over another object, re-read and compared). The row
    shows the new key only once the object is in place; the old object goes only after that commit.
    Any failure leaves the document on its old key."""
    with db.transaction() as s:
        raw = _raw(s, doc_id)
        if raw.status not in (DocumentStatus.CLASSIFIED, DocumentStatus.LINKED):
            return StepResult(False, f"not renamed: document is {raw.status.lower()}", {"key": raw.storage_key})
        client_name = s.scalars(
            select(Client.name).join(TaxCase, TaxCase.client_id == Client.id).where(TaxCase.id == raw.case_id)
        ).first()
        parts = NamingComponents(raw.classified_type or DocType.UNKNOWN, raw.tax_year, raw.source, client_name)
        target = renamed_key(raw.case_id, raw.original_key, parts, today=raw.uploaded_at.date())
        stem, ext = target.rsplit(".", 1)
        suffixed = f"{stem}_{raw.id[-6:]}.{ext}"  # two papers with the same name: the id keeps them apart
        taken = s.scalars(select(RawImage.id).where(RawImage.storage_key == target, RawImage.id != raw.id)).first()
        current, expected_sha = raw.storage_key, raw.sha256
    candidates = [suffixed] if taken else [target, suffixed]
    for candidate in candidates:
        if candidate == current:
            return StepResult(values={"key": current, "renamed": False, "already_named": True})
        try:
            with db.transaction() as s:
                claimed = s.execute(
                    update(RawImage)
                    .where(RawImage.id == doc_id, RawImage.storage_key == current)
                    .values(storage_key=candidate, display_name=display_name_from_key(candidate))
                    .execution_options(synchronize_session=False)
                )
                if claimed.rowcount != 1:  # renamed by another run of this document meanwhile
                    raise _NotOurs
                try:
                    digest = store.copy_if_absent(current, candidate)
                except FileExistsError as exc:  # an object nobody claims holds other bytes: leave it
                    raise _NotOurs from exc
                if expected_sha and digest != expected_sha:
                    raise StoredBytesDiffer
        except Exception as exc:  # noqa: BLE001 - rolled back: graceful degradation, the key is kept
            with db.transaction() as s:
                now = _raw(s, doc_id).storage_key
            if now != current:
                return StepResult(False, "not renamed: renamed by another run", {"key": now})
            if isinstance(exc, IntegrityError | _NotOurs):
                continue  # the name is another document's: the next candidate
            if _store_or_database_unavailable(exc):  # an S3 500, a lock: the document's retries, not for ever raw
                raise TransientDocumentError(f"rename: {exc.__class__.__name__}, key kept for now") from None
            return StepResult(False, f"rename failed, key kept: {exc.__class__.__name__}", {"key": current})
        try:  # the new object is in place, verified and recorded: the old one may go
            store.delete(current)
            deleted_old = True
        except Exception:  # noqa: BLE001 - any delete failure leaves a harmless orphan
            deleted_old = False
        return StepResult(
            values={"key": candidate, "previous_key": current, "renamed": True, "old_object_deleted": deleted_old}
        )
    return StepResult(False, "rename failed, key kept: every candidate name is taken", {"key": current})


def _store_or_database_unavailable(exc: BaseException) -> bool:
    """A known outage (a database lock or restart, an S3 5xx/throttle, a connection error), as opposed
    to a bug or an answer about this document."""
    from botocore.exceptions import BotoCoreError, ClientError
    from sqlalchemy.exc import DBAPIError

    from ella_dagster.pipeline.intake import is_transient

    known = isinstance(exc, DBAPIError | ClientError | BotoCoreError | OSError)
    return known and not isinstance(exc, FileExistsError) and is_transient(exc)


# 5 --------------------------------------------------------------------------------------------
def extract_document(db: Database, store: DocumentStore, engine: Engine, doc_id: str) -> StepResult:
    with db.transaction() as s:
        raw = _raw(s, doc_id)
        status, doc_type = raw.status, DocType(raw.classified_type) if raw.classified_type else None
        original = s.get(Extraction, raw.duplicate_of_id) if raw.duplicate_of_id else None
        if status == DocumentStatus.DUPLICATE and original is not None:
            reused = _upsert_extraction(
                s,
                doc_id,
                original.doc_type,
                original.data,
                original.page_confidences,
                schemas.stored_errors(original.validation_errors),
                original.engine + " (reused)",
            )
            reused.field_confidences = original.field_confidences  # they weighed the original's readings
            return StepResult(values={"reused_from": raw.duplicate_of_id, "fields": len(original.data)})
    if status == DocumentStatus.SPLIT:
        return StepResult(False, "not extracted: split into child documents")
    if doc_type is None or status == DocumentStatus.UNCLASSIFIED:
        return StepResult(False, "not extracted: document is unclassified")
    if not is_ocr_eligible(doc_type):
        return StepResult(False, f"not extracted: {doc_type.value} is not an OCR-eligible type")
    if not engine.can_extract(doc_type) or schemas.schema_for(doc_type) is None:
        return StepResult(False, f"not extracted: {engine.name} has no extractor for {doc_type.value} yet")
    _, data = load_document(db, store, doc_id)
    extraction = engine.extract(data, raw.mime_type, doc_type)
    merged, origin = schemas.merge_pages([p.fields for p in extraction.pages])
    field_errors = schemas.validation_errors(doc_type, merged)
    invalid = {e.field for e in field_errors}
    errors = [e.as_dict() for e in field_errors]  # stored and shown as {field, rule}: never the value
    valid = {k: v for k, v in merged.items() if k not in invalid}
    with db.transaction() as s:
        readings = {k: v for k, v in extraction.readings().items() if k in valid}  # how each was read
        row = _upsert_extraction(
            s, doc_id, doc_type.value, valid, [p.confidence for p in extraction.pages], errors, engine.name, readings
        )
    return StepResult(
        values={
            "doc_type": doc_type.value,
            "status": row.status,
            "confidence": row.confidence,
            "fields": len(valid),
            "missing_key_fields": _missing_keys(doc_type, valid),
            "pages": row.page_count,
            "page_confidences": row.page_confidences,
            "field_confidences": row.field_confidences,
            "low_confidence_fields": doubtful(row.field_confidences),
            "field_pages": origin,
            "validation_errors": errors,
            "schema_version": row.schema_version,
            "seconds": extraction.seconds,
            **{f"engine_{k}": v for k, v in extraction.usage.items()},
        }
    )


def _missing_keys(doc_type: DocType | str, fields: dict[str, Any]) -> list[str]:
    schema = schemas.schema_for(doc_type)
    return [k for k in schema.key_fields if fields.get(k) in (None, "")] if schema else []


def _upsert_extraction(
    session: Session,
    doc_id: str,
    doc_type: str,
    data: dict[str, Any],
    page_confidences: list[float],
    errors: list[dict[str, str]],
    engine: str,
    readings: dict[str, float] | None = None,
) -> Extraction:
    schema = schemas.schema_for(doc_type)
    assert schema is not None
    missing = _missing_keys(doc_type, data)
    if not data:
        status = ExtractionStatus.FAILED
    else:
        status = ExtractionStatus.PARTIAL if missing or errors else ExtractionStatus.EXTRACTED
    row = session.get(Extraction, doc_id) or Extraction(raw_image_id=doc_id)
    row.doc_type, row.data, row.status, row.schema_version = doc_type, data, status, schema.version
    row.confidence = schemas.confidence_for(doc_type, data) if data else 0.0
    row.page_count, row.page_confidences = len(page_confidences), page_confidences
    row.field_confidences = field_confidences(doc_type, data, readings)
    row.validation_errors, row.engine = errors, engine
    session.add(row)
    session.flush()
    return row


# 6 --------------------------------------------------------------------------------------------
def link_document(db: Database, doc_id: str) -> StepResult:
    """One transaction: digital doc upserted, checklist item counted once, raw image LINKED."""
    with db.transaction() as s:
        raw = _raw(s, doc_id)
        raw.processed_at = utcnow()
        extraction = s.get(Extraction, doc_id)
        if raw.status == DocumentStatus.SPLIT:
            children = s.scalars(select(RawImage.id).where(RawImage.parent_id == raw.id)).all()
            return StepResult(
                False,
                f"no digital document: split into {len(children)} documents",
                {"status": raw.status, "children_count": len(children), "children": sorted(children)},
            )
        if raw.status in (DocumentStatus.UNCLASSIFIED, DocumentStatus.FAILED) or extraction is None:
            return StepResult(
                False, f"no digital document: {raw.status.lower()} without extraction", {"status": raw.status}
            )
        if raw.status == DocumentStatus.DUPLICATE:
            # A copy linked before its original was seen (a re-run after a crash) stops counting.
            _uncount(s, s.get(DigitalDoc, f"dd_{raw.id}"))
            return StepResult(
                False,
                "no digital document: duplicate of an earlier upload",
                {"status": raw.status, "duplicate_of": raw.duplicate_of_id},
            )
        same_paper = _confirmed_near_duplicate(s, raw, extraction)
        if same_paper:
            group = _group(
                s,
                raw.case_id,
                f"paper:{same_paper.id}",
                best_image_id=same_paper.id,
                doc_type=extraction.doc_type,
            )
            same_paper.image_group_id = raw.image_group_id = group.id
            raw.status, raw.duplicate_of_id = DocumentStatus.DUPLICATE, same_paper.id
            _uncount(s, s.get(DigitalDoc, f"dd_{raw.id}"))
            return StepResult(
                False,
                "no digital document: same paper as an earlier upload (type and key fields agree)",
                {"status": raw.status, "duplicate_of": same_paper.id},
            )
        doc = s.get(DigitalDoc, f"dd_{raw.id}") or DigitalDoc(
            id=f"dd_{raw.id}", case_id=raw.case_id, raw_image_id=raw.id
        )
        doc.doc_type, doc.status, doc.extracted_data = extraction.doc_type, extraction.status, extraction.data
        doc.ai_confidence, doc.schema_version = extraction.confidence, extraction.schema_version
        doc.page_count, doc.page_confidences = extraction.page_count, extraction.page_confidences
        doc.field_confidences = extraction.field_confidences
        doc.checklist_item_id = raw.checklist_item_id
        s.add(doc)
        counted_now = False
        if doc.counted_in_item_id != raw.checklist_item_id:
            _uncount(s, doc)
            if raw.checklist_item_id:
                item = s.get(ChecklistItem, raw.checklist_item_id)
                assert item is not None
                item.received_count += 1
                if item.status == ChecklistStatus.MISSING:
                    item.status = ChecklistStatus.HAS_DIGITAL
                doc.counted_in_item_id, counted_now = item.id, True
        raw.status = DocumentStatus.LINKED
        review = None
        if extraction.confidence < AUTO_LINK_THRESHOLD or extraction.validation_errors:
            review = ensure_action(
                s,
                raw,
                ActionSpec(
                    ActionType.VERIFY_DOCS,
                    ActionPriority.NORMAL,
                    OCR_REVIEW_TITLE,
                    f"{extraction.doc_type}: trích xuất {round(extraction.confidence * 100)}% - cần xác minh",
                ),
                action_metadata(raw, doc_type=extraction.doc_type, confidence=extraction.confidence),
            ).id
        return StepResult(
            values={
                "digital_doc_id": doc.id,
                "status": doc.status,
                "checklist_item_id": raw.checklist_item_id,
                "counted_now": counted_now,
                "review_action_id": review,
            }
        )


def _uncount(session: Session, doc: DigitalDoc | None) -> None:
    if doc is None or not doc.counted_in_item_id:
        return
    item = session.get(ChecklistItem, doc.counted_in_item_id)
    if item is not None:
        item.received_count = max(0, item.received_count - 1)
        if item.received_count == 0 and item.status == ChecklistStatus.HAS_DIGITAL:
            item.status = ChecklistStatus.MISSING
    doc.counted_in_item_id = None


def _confirmed_near_duplicate(session: Session, raw: RawImage, extraction: Extraction) -> RawImage | None:
    """An earlier linked upload whose first page looks alike AND whose type and key fields agree."""
    if not raw.phash:
        return None
    earlier = session.scalars(
        select(RawImage)
        .where(
            RawImage.case_id == raw.case_id,
            RawImage.id < raw.id,
            RawImage.status == DocumentStatus.LINKED,
            RawImage.classified_type == extraction.doc_type,
            RawImage.phash.is_not(None),
        )
        .order_by(RawImage.id)
    )
    for other in earlier:
        if hamming(other.phash, raw.phash) >= NEAR_DUPLICATE_BITS:
            continue
        other_extraction = session.get(Extraction, other.id)
        if other_extraction and schemas.same_paper(extraction.doc_type, extraction.data, other_extraction.data):
            return other
    return None


def process_document(db: Database, store: DocumentStore, engine: Engine, doc_id: str) -> dict[str, StepResult]:
    """All six steps in one process, no Dagster: the baseline the benchmark compares against."""
    results: dict[str, StepResult] = {}
    try:
        results["document_hash"] = hash_document(db, store, doc_id)
        results["classification"] = classify_document(db, store, engine, doc_id)
        results["routing"] = route_document(db, doc_id)
        results["renamed_key"] = rename_document(db, store, doc_id)
        results["ocr_extract"] = extract_document(db, store, engine, doc_id)
        results["digital_doc"] = link_document(db, doc_id)
    except PermanentDocumentError as exc:
        with db.transaction() as s:
            mark_failed(s, doc_id, str(exc))
    return results
