"""A scanned bundle becomes several documents: every page of a multi-page PDF classified, the
boundaries found (`domain/bundles.py`) and, when they are sure, one child upload per document.

Part of the classification step. A child is an upload of its own: a PDF of its pages written to the
store under its own raw key, a `raw_images` row naming its parent and page range, then a journal
marker, so the uploads sensor adds its partition and launches it in a later batch like any upload
(the batching design is unchanged: partitions are still added by the sensor only). The parent ends
SPLIT. Child ids derive from the parent's id and page range and rows are inserted only when absent,
and a parent that has children keeps them: re-running or reclassifying the parent creates nothing new.

Page classification reads the pages with the offline OCR (`ocr.page_texts`, cached by content, so the
offline engine's own classification of the same upload reuses it) and the offline rules, whichever
engine classifies the children.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

import pypdfium2 as pdfium
from sqlalchemy import select

from ella_dagster.db.models import DigitalDoc, Extraction, RawImage, utcnow
from ella_dagster.db.session import Database
from ella_dagster.domain import extraction as schemas
from ella_dagster.domain.bundles import BundlePlan, PageReading, Segment, page_range, page_signals, plan_bundle
from ella_dagster.domain.doc_types import NO_TAX_YEAR, DocType
from ella_dagster.domain.errors import PermanentDocumentError
from ella_dagster.domain.naming import raw_key
from ella_dagster.domain.routing import ActionPriority, ActionSpec, ActionType
from ella_dagster.domain.status import DocumentStatus
from ella_dagster.pipeline.actions import action_metadata, ensure_action, resolve_actions
from ella_dagster.store import DocumentStore

PDF = "application/pdf"
SPLIT_REVIEW_TITLE = "Xác minh tách tài liệu"  # staff-facing, in the firm's working language
_ID_KINDS = ("ssn", "ein", "tin", "code")


def page_count(data: bytes, mime_type: str) -> int:
    if mime_type != PDF:
        return 1
    try:
        pdf = pdfium.PdfDocument(io.BytesIO(data))
    except pdfium.PdfiumError as exc:
        raise PermanentDocumentError(f"unreadable PDF ({exc.__class__.__name__})") from exc
    try:
        return len(pdf)
    finally:
        pdf.close()


def read_pages(data: bytes, mime_type: str) -> list[PageReading]:
    """Every page classified on its own by the offline rules (one OCR pass per page, shared; a page
    nothing is recognised on is read a second time as one block, as a first page is)."""
    from ella_dagster.engines import fields, rules
    from ella_dagster.engines.ocr import page_texts
    from ella_dagster.engines.offline import classify_page

    readings = []
    for number, first in enumerate(page_texts(data, mime_type), start=1):
        page, (doc_type, confidence, _, _) = classify_page(data, mime_type, number, first)
        heading = page.heading()
        found = fields.find_fields(doc_type, page) if fields.can_find(doc_type) else {}
        source_field = fields.SOURCE_FIELD.get(doc_type)
        schema = schemas.schema_for(doc_type)
        identity = {}
        if schema is not None:
            kinds = {f.name: f.kind for f in schema.fields}
            identity = {n: str(found[n]) for n in schema.identity if n in found and kinds.get(n) in _ID_KINDS}
        readings.append(
            PageReading(
                number,
                doc_type,
                confidence,
                rules.tax_year(page.text) if doc_type not in NO_TAX_YEAR else None,
                found.get(source_field) if source_field else None,
                page_signals(page.text, heading),
                identity,
            )
        )
    return readings


def child_id(parent_id: str, segment: Segment) -> str:
    """Deterministic: the parent's id and the page range (no comma: it is a partition key)."""
    return f"{parent_id}p{segment.first_page:02d}{segment.last_page:02d}"


def child_pdf(data: bytes, first_page: int, last_page: int) -> bytes:
    """A new PDF of pages first..last (1-based) of `data`, the pages imported as they are."""
    source = pdfium.PdfDocument(io.BytesIO(data))
    child = pdfium.PdfDocument.new()
    try:
        child.import_pages(source, pages=list(range(first_page - 1, last_page)))
        out = io.BytesIO()
        child.save(out)
        return _fixed_id(out.getvalue())
    finally:
        child.close()
        source.close()


_TRAILER_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]{32})>\s*<([0-9A-Fa-f]{32})>\s*\]")


def _fixed_id(pdf: bytes) -> bytes:
    """PDFium gives every saved file a random /ID: replaced by a digest of the content before it (same
    length, so no offset moves), the same pages give the same bytes, and a child uploaded before is an
    exact duplicate as any upload is."""
    tail_at = max(0, len(pdf) - 2048)
    matches = list(_TRAILER_ID.finditer(pdf, tail_at))
    if not matches:
        return pdf
    found = matches[-1]
    digest = hashlib.md5(pdf[: found.start()], usedforsecurity=False).hexdigest().upper().encode()
    start, end = found.span()
    return pdf[:start] + b"/ID[<" + digest + b"><" + digest + b">]" + pdf[end:]


def _child_filename(parent_filename: str, segment: Segment) -> str:
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", parent_filename)
    return f"{stem}_p{segment.pages}.pdf"


@dataclass(frozen=True)
class SplitOutcome:
    split: bool
    values: dict
    review_action_id: str | None = None


def children_of(session, parent_id: str) -> list[RawImage]:
    return list(session.scalars(select(RawImage).where(RawImage.parent_id == parent_id).order_by(RawImage.page_start)))


def family(children: list[RawImage]) -> list[dict[str, object]]:
    """Child ids and page ranges, as metadata shows them (no file names, no values)."""
    return [
        {
            "document": c.id,
            "pages": page_range(c.page_start, c.page_end),
            "status": c.status,
            "doc_type": c.classified_type,
        }
        for c in children
    ]


def _split_values(children: list[RawImage], plan: BundlePlan | None, markers: int) -> dict:
    values: dict[str, object] = {
        "split": True,
        "children_count": len(children),
        "children": family(children),
        "journalled_children": markers,
        "doc_type": None,
        "confidence": plan.confidence if plan else 1.0,
    }
    if plan is not None:
        values["proposed"] = plan.describe()
    return values


def existing_split(db: Database, doc_id: str) -> SplitOutcome | None:
    """The split already made for this parent, if any: nothing is planned or written again."""
    with db.transaction() as s:
        children = children_of(s, doc_id)
        if not children:
            return None
        raw = s.get(RawImage, doc_id)
        assert raw is not None
        _mark_split(s, raw, len(children))
        return SplitOutcome(True, _split_values(children, None, 0))


def _mark_split(session, raw: RawImage, count: int) -> None:
    raw.status, raw.route, raw.classified_type, raw.category = DocumentStatus.SPLIT, None, None, None
    raw.checklist_item_id, raw.error_message = None, None
    raw.processed_at = raw.processed_at or utcnow()
    doc = session.get(DigitalDoc, f"dd_{raw.id}")  # processed as one document before (a staff split)
    if doc is not None:
        from ella_dagster.pipeline.steps import _uncount

        _uncount(session, doc)  # its children are counted instead
        session.delete(doc)
    extraction = session.get(Extraction, raw.id)
    if extraction is not None:
        session.delete(extraction)
    resolve_actions(session, raw.id, set(), f"split into {count} documents")


def consider(db: Database, store: DocumentStore, doc_id: str, data: bytes) -> SplitOutcome | None:
    """For a multi-page upload that is not itself a child or a copy: plan its boundaries; split when
    sure, ask staff when not. None when there is nothing to split (the caller classifies as usual)."""
    with db.transaction() as s:
        raw = s.get(RawImage, doc_id)
        assert raw is not None
        if raw.parent_id or raw.duplicate_of_id:
            return None
        mime = raw.mime_type
    if mime != PDF or page_count(data, mime) < 2:
        return None
    plan = plan_bundle(read_pages(data, mime))
    if not plan.should_split:
        with db.transaction() as s:
            raw = s.get(RawImage, doc_id)
            assert raw is not None
            action_id = None
            if plan.needs_review:
                action_id = ensure_action(
                    s,
                    raw,
                    ActionSpec(
                        ActionType.REVIEW_SPLIT,
                        ActionPriority.NORMAL,
                        SPLIT_REVIEW_TITLE,
                        f"{len(plan.segments)} tài liệu? độ tin cậy ranh giới {round(plan.confidence * 100)}%: "
                        + "; ".join(f"trang {p['pages']} {p['doc_type']}" for p in plan.describe()),
                    ),
                    action_metadata(raw, proposed=plan.describe(), boundary_confidence=plan.confidence),
                ).id
            else:
                _resolve_review(s, raw.id, "boundaries no longer in doubt")
        return SplitOutcome(
            False,
            {"proposed": plan.describe(), "boundary_confidence": plan.confidence, "pages": plan.segments[-1].last_page},
            action_id,
        )

    return _split(db, store, doc_id, data, plan.segments, plan)


def _split(
    db: Database,
    store: DocumentStore,
    doc_id: str,
    data: bytes,
    segments: tuple[Segment, ...],
    plan: BundlePlan | None,
) -> SplitOutcome:
    """Objects first (deterministic keys: a retry finds its own object), then the rows and the parent's
    state in one transaction, then the markers: the sensor sees a child only once its row exists."""
    with db.transaction() as s:
        raw = s.get(RawImage, doc_id)
        assert raw is not None
        case_id, filename, uploaded_at = raw.case_id, raw.original_filename, raw.uploaded_at
    written: list[tuple[Segment, str, str, int]] = []
    for segment in segments:
        cid = child_id(doc_id, segment)
        key = raw_key(case_id, cid, "pdf")
        body = child_pdf(data, segment.first_page, segment.last_page)
        metadata = {
            "case-id": case_id,
            "original-filename": _child_filename(filename, segment),
            "mime-type": PDF,
            "parent-id": doc_id,
            "pages": segment.pages,
        }
        size = len(body)
        try:
            store.put_if_absent(key, body, metadata)
        except FileExistsError:  # an earlier attempt wrote it: the key is this child's alone
            size = store.stat(key).size
        written.append((segment, cid, key, size))
    with db.transaction() as s:
        raw = s.get(RawImage, doc_id)
        assert raw is not None
        known = {c.id for c in children_of(s, doc_id)}
        if not known:  # another run of this parent may have split it meanwhile: its children stand
            for segment, cid, key, size in written:
                if s.get(RawImage, cid) is None:
                    s.add(
                        RawImage(
                            id=cid,
                            case_id=case_id,
                            storage_key=key,
                            original_key=key,
                            original_filename=_child_filename(filename, segment),
                            mime_type=PDF,
                            file_size=size,
                            status=DocumentStatus.UPLOADED,
                            uploaded_at=uploaded_at,
                            parent_id=doc_id,
                            page_start=segment.first_page,
                            page_end=segment.last_page,
                        )
                    )
            s.flush()
        children = children_of(s, doc_id)
        _mark_split(s, raw, len(children))
        unstarted = [
            (c.id, c.storage_key) for c in children if c.status == DocumentStatus.UPLOADED and c.processed_at is None
        ]
    for cid, key in unstarted:
        store.record_upload(cid, key)
    with db.transaction() as s:
        children = children_of(s, doc_id)
    return SplitOutcome(True, _split_values(children, plan, len(unstarted)))


def split_by_staff(db: Database, store: DocumentStore, doc_id: str, ranges: list[tuple[int, int]]) -> SplitOutcome:
    """Staff accept (or correct) a proposed split, e.g. from a REVIEW_SPLIT action: the upload is split
    at these page ranges (1-based, in order, covering every page) exactly as a sure split would be,
    and its REVIEW_SPLIT and review actions are resolved. A parent split before keeps its children.
    ValueError for ranges that do not cover the document, a child, or a copy of another upload."""
    done = existing_split(db, doc_id)
    if done is not None:
        return done
    with db.transaction() as s:
        raw = s.get(RawImage, doc_id)
        if raw is None:
            raise ValueError(f"no document {doc_id}")
        if raw.parent_id or raw.duplicate_of_id:
            raise ValueError("a child of a bundle or a copy of another upload is not split")
        key, mime = raw.storage_key, raw.mime_type
    data = store.get(key).data
    pages = page_count(data, mime)
    expected = 1
    for first, last in ranges:
        if first != expected or last < first:
            raise ValueError(f"page ranges must follow each other from page 1: {ranges}")
        expected = last + 1
    if expected != pages + 1 or len(ranges) < 2:
        raise ValueError(f"{len(ranges)} ranges for a document of {pages} pages: at least two, covering every page")
    segments = tuple(Segment(first, last, DocType.UNKNOWN, 0.0) for first, last in ranges)
    return _split(db, store, doc_id, data, segments, None)


def _resolve_review(session, doc_id: str, resolution: str) -> None:
    from ella_dagster.db.models import Action

    for action in session.scalars(
        select(Action).where(
            Action.raw_image_id == doc_id, Action.type == ActionType.REVIEW_SPLIT.value, Action.is_completed.is_(False)
        )
    ):
        action.is_completed, action.completed_at, action.resolution = True, utcnow(), resolution


__all__ = [
    "SplitOutcome",
    "child_id",
    "child_pdf",
    "children_of",
    "consider",
    "existing_split",
    "family",
    "page_count",
    "read_pages",
    "split_by_staff",
]
