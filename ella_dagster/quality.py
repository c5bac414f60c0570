"""Data-quality rules behind the asset checks, as plain functions (testable with made-up inputs)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from ella_dagster.db.models import ChecklistItem, DigitalDoc, RawImage
from ella_dagster.domain import extraction as schemas
from ella_dagster.domain.doc_types import DocType
from ella_dagster.domain.field_confidence import doubtful
from ella_dagster.domain.hashing import DocumentHashes, is_well_formed
from ella_dagster.domain.routing import decide_route

RENAMED_KEY = re.compile(r"^cases/[A-Za-z0-9_-]+/docs/\d{4}_[A-Za-z0-9]+(_[A-Za-z0-9]+)*\.[a-z0-9]{1,5}$")


def hash_well_formed(sha256: str, phash: str) -> bool:
    return is_well_formed(DocumentHashes(sha256, phash))


def doc_type_known(doc_type: str) -> bool:
    return doc_type in DocType.__members__


def confidence_in_range(confidence: Any) -> bool:
    return isinstance(confidence, int | float) and 0.0 <= confidence <= 1.0


def expected_route(route: str, confidence: float) -> str:
    return "duplicate" if route == "duplicate" else decide_route(confidence).value


def key_follows_convention(key: str) -> bool:
    """Raw keys are left alone; a key under docs/ must follow the rename convention."""
    return "/docs/" not in key or bool(RENAMED_KEY.match(key))


def extraction_errors(doc_type: str, data: dict[str, Any]) -> list[str]:
    return schemas.validation_errors(doc_type, data)


def doubtful_key_fields(doc_type: str, confidences: dict[str, float] | None) -> list[str]:
    """Key fields whose validators lowered them under the review line (names only, never values)."""
    schema = schemas.schema_for(doc_type)
    return doubtful(confidences, among=schema.key_fields if schema else [])


def digital_doc_problems(session: Session, doc_id: str, linked: bool) -> list[str]:
    """Disagreements between raw_images, digital_docs and checklist_items for a linked document."""
    if not linked:
        return []
    raw, doc = session.get(RawImage, doc_id), session.get(DigitalDoc, f"dd_{doc_id}")
    if raw is None or raw.status != "LINKED" or doc is None:
        return ["linked document without digital doc"]
    problems = []
    if doc.doc_type != raw.classified_type:
        problems.append("digital doc type differs from the classification")
    if raw.checklist_item_id:
        item = session.get(ChecklistItem, raw.checklist_item_id)
        if doc.counted_in_item_id != raw.checklist_item_id:
            problems.append("not counted in its checklist item")
        elif item is None or item.received_count < 1 or item.status == "MISSING":
            problems.append("checklist item not marked received")
    return problems
