"""Data-quality rules behind the asset checks, as plain functions (testable with made-up inputs)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ella_dagster.db.models import ChecklistItem, DigitalDoc, Extraction, RawImage
from ella_dagster.domain import extraction as schemas
from ella_dagster.domain.field_confidence import doubtful
from ella_dagster.domain.routing import decide_route
from ella_dagster.domain.status import ChecklistStatus, DocumentStatus
from ella_dagster.pipeline.steps import latest_classification

RENAMED_KEY = re.compile(r"^cases/[A-Za-z0-9_-]+/docs/\d{4}_[A-Za-z0-9]+(_[A-Za-z0-9]+)*\.[a-z0-9]{1,5}$")


def history_problems(session: Session, doc_id: str, answer: dict[str, Any]) -> list[str]:
    """The classification just made is the document's latest history row (a lost or overtaken write
    is a gap in the history)."""
    if answer.get("split"):  # a bundle split into child documents is classified through them
        return split_problems(session, doc_id)
    latest = latest_classification(session, doc_id)
    if latest is None:
        return ["no classification history row"]
    if (latest.doc_type, latest.confidence, latest.engine_version) != (
        answer["doc_type"],
        answer["confidence"],
        answer["engine_version"],
    ):
        return ["the latest history row is not this classification"]
    return []


def routing_problems(session: Session, doc_id: str) -> list[str]:
    """The stored row agrees with the latest classification: route from its confidence, type and
    category, a checklist link only for a classified document."""
    raw = session.get(RawImage, doc_id)
    if raw is not None and raw.status == DocumentStatus.SPLIT:
        return split_problems(session, doc_id)
    latest = latest_classification(session, doc_id)
    if raw is None or latest is None:
        return ["no row or no classification"]
    if raw.status == DocumentStatus.DUPLICATE:
        return [] if raw.duplicate_of_id and raw.route is None else ["duplicate without its original"]
    problems = []
    route = decide_route(latest.confidence).value
    if raw.route != route:
        problems.append(f"route {raw.route} where the confidence gives {route}")
    if raw.ai_confidence != latest.confidence:
        problems.append("stored confidence differs from the classification")
    if route == "unclassified":
        if raw.status != DocumentStatus.UNCLASSIFIED or raw.classified_type or raw.checklist_item_id:
            problems.append("an unclassified document keeps a type or checklist link")
    elif raw.status not in (DocumentStatus.CLASSIFIED, DocumentStatus.LINKED) or raw.classified_type != latest.doc_type:
        problems.append("status or type differs from the classification")
    return problems


def key_follows_convention(key: str) -> bool:
    """Raw keys are left alone; a key under docs/ must follow the rename convention."""
    return "/docs/" not in key or bool(RENAMED_KEY.match(key))


def extraction_errors(doc_type: str, data: dict[str, Any]) -> list[str]:
    return [str(e) for e in schemas.validation_errors(doc_type, data)]


def doubtful_key_fields(doc_type: str, confidences: dict[str, float] | None) -> list[str]:
    """Key fields whose validators lowered them under the review line (names only, never values)."""
    schema = schemas.schema_for(doc_type)
    return doubtful(confidences, among=schema.key_fields if schema else [])


def digital_doc_problems(session: Session, doc_id: str, linked: bool) -> list[str]:
    """Disagreements between raw_images, digital_docs and checklist_items for a linked document."""
    raw, doc = session.get(RawImage, doc_id), session.get(DigitalDoc, f"dd_{doc_id}")
    if raw is not None and raw.status == DocumentStatus.SPLIT:
        return split_problems(session, doc_id)
    if not linked:
        return []
    if raw is None or raw.status != DocumentStatus.LINKED or doc is None:
        return ["linked document without digital doc"]
    problems = []
    if doc.doc_type != raw.classified_type:
        problems.append("digital doc type differs from the classification")
    extraction = session.get(Extraction, doc_id)
    if extraction is None or (doc.extracted_data, doc.status) != (extraction.data, extraction.status):
        problems.append("digital doc fields differ from the extraction")
    if raw.checklist_item_id:
        item = session.get(ChecklistItem, raw.checklist_item_id)
        if doc.counted_in_item_id != raw.checklist_item_id:
            problems.append("not counted in its checklist item")
        elif item is None or item.received_count < 1 or item.status == ChecklistStatus.MISSING:
            problems.append("checklist item not marked received")
    return problems


def split_problems(session: Session, doc_id: str) -> list[str]:
    """A SPLIT bundle is terminal and consistent: processed, no route, type or checklist link of its
    own, not counted anywhere, and its children cover its pages in order, each once."""
    raw = session.get(RawImage, doc_id)
    if raw is None or raw.status != DocumentStatus.SPLIT:
        return ["not split"]
    problems = []
    if raw.processed_at is None:
        problems.append("split but not finished")
    if raw.route or raw.classified_type or raw.checklist_item_id:
        problems.append("a split bundle keeps a route, type or checklist link")
    doc = session.get(DigitalDoc, f"dd_{doc_id}")
    if doc is not None and doc.counted_in_item_id:
        problems.append("a split bundle is still counted in a checklist item")
    children = list(session.scalars(select(RawImage).where(RawImage.parent_id == doc_id).order_by(RawImage.page_start)))
    if len(children) < 2:
        problems.append(f"split into {len(children)} documents")
    expected = 1
    for child in children:
        if child.page_start != expected or child.page_end is None or child.page_end < child.page_start:
            problems.append("the children's pages leave a gap or overlap")
            break
        expected = child.page_end + 1
    return problems
