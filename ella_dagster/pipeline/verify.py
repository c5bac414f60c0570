"""A staff decision on a document's type: the ground truth the metrics measure the engines against.

`verify_document` records the decision as a classification history row of its own (engine `staff`,
confidence 1.0; earlier rows are kept), resolves the document's open VERIFY_DOCS / AI_FAILED actions
as verified, and then runs the existing steps again from routing on (route, rename, extract, link), so
the document is re-routed, renamed, re-extracted and its checklist count moves to the right item once.
Verifying again with the same type adds no row and moves no count."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ella_dagster.db.models import ClassificationResult, RawImage, utcnow
from ella_dagster.db.session import Database
from ella_dagster.domain.doc_types import DocType
from ella_dagster.domain.errors import DocumentError, sanitize_error
from ella_dagster.domain.routing import ActionType
from ella_dagster.domain.status import DocumentStatus
from ella_dagster.engines.base import Engine
from ella_dagster.pipeline import steps
from ella_dagster.pipeline.actions import open_actions
from ella_dagster.store import DocumentStore

STAFF_ENGINE = "staff"
STAFF_ENGINE_VERSION = "staff"
STAFF_CONFIDENCE = 1.0
RESOLUTION = "verified by staff"
_RESOLVED_BY_VERIFY = {ActionType.VERIFY_DOCS.value, ActionType.AI_FAILED.value}


class UnknownDocument(LookupError):
    """No document with this id."""


class DocumentInFlight(RuntimeError):
    """The pipeline is working on the document right now: verify it once its run is done."""


class SplitUpload(ValueError):
    """An upload split into documents has no type of its own: its documents are verified instead."""


@dataclass
class VerifyOutcome:
    """What a verification did; ids, types and states only (no file names, no field values)."""

    doc_id: str
    doc_type: str
    previous_type: str | None
    previous_confidence: float | None
    previous_engine: str | None
    history_row_added: bool
    actions_resolved: int
    route: str | None = None
    status: str | None = None
    key: str | None = None
    renamed: bool = False
    extraction: str | None = None  # "extracted (N fields)" or the reason it was not
    checklist_item_id: str | None = None
    counted_now: bool = False
    review_action_id: str | None = None  # the OCR review of extracted fields, when it applies
    notes: list[str] = field(default_factory=list)


def verify_document(
    db: Database,
    store: DocumentStore,
    engine: Engine,
    doc_id: str,
    doc_type: DocType,
    *,
    staff: str | None = None,
) -> VerifyOutcome:
    """Records `doc_type` as the staff's answer for `doc_id` and re-runs routing and what follows."""
    with db.transaction() as s:
        raw = s.get(RawImage, doc_id)
        if raw is None:
            raise UnknownDocument(doc_id)
        if raw.processed_at is None:  # queued, or a run is between its stages (CLASSIFIED, not yet linked)
            raise DocumentInFlight(doc_id)
        if raw.status == DocumentStatus.SPLIT:
            raise SplitUpload(doc_id)
        latest = steps.latest_classification(s, doc_id)
        engine_answer = _latest_engine_answer(s, doc_id)
        already = latest is not None and latest.engine == STAFF_ENGINE and latest.doc_type == doc_type.value
        if not already:
            was = f"{latest.doc_type} {latest.confidence:.2f} by {latest.engine}" if latest else "never classified"
            s.add(
                ClassificationResult(
                    raw_image_id=doc_id,
                    engine=STAFF_ENGINE,
                    engine_version=STAFF_ENGINE_VERSION,
                    doc_type=doc_type.value,
                    confidence=STAFF_CONFIDENCE,
                    reasoning=f"verified by staff{f' ({staff})' if staff else ''}; was {was}",
                    alternatives=[],
                    tax_year=latest.tax_year if latest else raw.tax_year,
                    source=latest.source if latest else raw.source,
                )
            )
        resolved = 0
        for action in open_actions(s, doc_id):
            if action.type in _RESOLVED_BY_VERIFY:
                action.is_completed, action.completed_at, action.resolution = True, utcnow(), RESOLUTION
                resolved += 1
        if raw.status == DocumentStatus.FAILED:  # the staff answer replaces the failure; what follows may fail again
            raw.error_message = None
        never_hashed = raw.sha256 is None
    outcome = VerifyOutcome(
        doc_id=doc_id,
        doc_type=doc_type.value,
        previous_type=engine_answer.doc_type if engine_answer else None,
        previous_confidence=engine_answer.confidence if engine_answer else None,
        previous_engine=engine_answer.engine_version if engine_answer else None,
        history_row_added=not already,
        actions_resolved=resolved,
    )
    if never_hashed:  # failed before hashing (e.g. the store was down): hash it now if the file reads
        try:
            steps.hash_document(db, store, doc_id)
        except DocumentError as exc:
            outcome.notes.append(f"not hashed: {sanitize_error(str(exc), max_length=200)}")
    routed = steps.route_document(db, doc_id)
    outcome.route, outcome.status = routed.values.get("route"), routed.values.get("status")
    outcome.checklist_item_id = routed.values.get("checklist_item_id")
    renamed = steps.rename_document(db, store, doc_id)
    outcome.key, outcome.renamed = renamed.values.get("key"), bool(renamed.values.get("renamed"))
    if not renamed.applied and renamed.reason:
        outcome.notes.append(renamed.reason)
    try:
        extracted = steps.extract_document(db, store, engine, doc_id)
        outcome.extraction = (
            f"{extracted.values.get('status', 'extracted').lower()} ({extracted.values.get('fields', 0)} fields)"
            if extracted.applied
            else extracted.reason
        )
    except DocumentError as exc:  # the file cannot be read: the type stands, there is no extraction
        outcome.extraction = f"not extracted: {sanitize_error(str(exc), max_length=200)}"
    linked = steps.link_document(db, doc_id)
    outcome.counted_now = bool(linked.values.get("counted_now"))
    outcome.review_action_id = linked.values.get("review_action_id")
    with db.transaction() as s:
        raw = s.get(RawImage, doc_id)
        assert raw is not None
        outcome.status, outcome.checklist_item_id = raw.status, raw.checklist_item_id
    return outcome


def _latest_engine_answer(session: Session, doc_id: str) -> ClassificationResult | None:
    """The newest answer an engine (not staff) gave for the document."""
    return session.scalars(
        select(ClassificationResult)
        .where(ClassificationResult.raw_image_id == doc_id, ClassificationResult.engine != STAFF_ENGINE)
        .order_by(ClassificationResult.id.desc())
        .limit(1)
    ).first()


def is_staff(row: ClassificationResult) -> bool:
    return row.engine == STAFF_ENGINE
