"""Getting documents into a test database the way the sensor does, and what a re-run must leave unchanged."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ella_dagster.db.models import Action, ChecklistItem, ClassificationResult, DigitalDoc, ImageGroup, RawImage
from ella_dagster.db.session import Database
from ella_dagster.pipeline.intake import register_upload, upload_files
from ella_dagster.store import DocumentStore


def ingest(db: Database, store: DocumentStore, case_id: str, files: list[tuple[str, bytes]]) -> list[str]:
    outcomes = upload_files(db, store, case_id, files)
    for marker in store.new_uploads(None, 100):
        register_upload(db, store, marker)
    return [o.upload_id for o in outcomes]


def snapshot(db: Database) -> dict[str, Any]:
    """Everything a re-run must leave unchanged (timestamps aside)."""
    with db.transaction() as s:
        return {
            "raw": [
                (
                    r.id,
                    r.status,
                    r.classified_type,
                    r.ai_confidence,
                    r.route,
                    r.storage_key,
                    r.image_group_id,
                    r.duplicate_of_id,
                    r.checklist_item_id,
                )
                for r in s.scalars(select(RawImage).order_by(RawImage.id))
            ],
            "docs": [
                (d.id, d.status, d.extracted_data, d.ai_confidence, d.counted_in_item_id)
                for d in s.scalars(select(DigitalDoc).order_by(DigitalDoc.id))
            ],
            "actions": sorted((a.raw_image_id, a.type, a.is_completed) for a in s.scalars(select(Action))),
            "items": [
                (i.id, i.status, i.received_count) for i in s.scalars(select(ChecklistItem).order_by(ChecklistItem.id))
            ],
            "groups": s.scalar(select(func.count()).select_from(ImageGroup)),
            "history": s.scalar(select(func.count()).select_from(ClassificationResult)),
        }
