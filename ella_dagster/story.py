"""One document's whole story, for `ella show DOC`: its row, classification history, staff actions,
extraction and digital doc from the database, and its partition status and runs from Dagster."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ella_dagster.db.models import Action, ClassificationResult, DigitalDoc, Extraction, RawImage
from ella_dagster.db.session import Database
from ella_dagster.domain.bundles import page_range
from ella_dagster.domain.pii import mask_text
from ella_dagster.pipeline.batch import STAGE_NAMES


@dataclass
class Story:
    document: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    extraction: dict[str, Any] | None = None
    digital_doc: dict[str, Any] | None = None
    stages: dict[str, str] = field(default_factory=dict)  # stage -> MATERIALIZED / FAILED / MISSING
    runs: list[dict[str, str]] = field(default_factory=list)  # newest first
    children: list[dict[str, Any]] = field(default_factory=list)  # a split bundle's documents, by page


def from_database(db: Database, doc_id: str) -> Story | None:
    """Everything the database knows; file names and error text masked, field values never shown."""
    with db.transaction() as s:
        raw = s.get(RawImage, doc_id)
        if raw is None:
            return None
        story = Story(
            {
                "document": raw.id,
                "file": mask_text(raw.original_filename),
                "case": raw.case_id,
                "status": raw.status,
                "type": raw.classified_type,
                "confidence": raw.ai_confidence,
                "route": raw.route,
                "tax year": raw.tax_year,
                "key": raw.storage_key,
                "uploaded as": raw.original_key,
                "duplicate of": raw.duplicate_of_id,
                "uploaded": raw.uploaded_at,
                "processed": raw.processed_at,
                "error": mask_text(raw.error_message) if raw.error_message else None,
            }
        )
        if raw.parent_id:  # split from a scanned bundle
            story.document["split from"] = f"{raw.parent_id} (pages {page_range(raw.page_start, raw.page_end)})"
        children = s.scalars(select(RawImage).where(RawImage.parent_id == doc_id).order_by(RawImage.page_start))
        for child in children:
            story.children.append(
                {
                    "document": child.id,
                    "pages": page_range(child.page_start, child.page_end),
                    "status": child.status,
                    "type": child.classified_type,
                    "key": child.storage_key,
                }
            )
        if story.children:
            story.document["children"] = "; ".join(
                f"{c['document']} pages {c['pages']} {c['type'] or '-'} {c['status']}" for c in story.children
            )
        for h in s.scalars(
            select(ClassificationResult)
            .where(ClassificationResult.raw_image_id == doc_id)
            .order_by(ClassificationResult.id)
        ):
            story.history.append(
                {
                    "at": h.created_at,
                    "engine": h.engine_version,
                    "type": h.doc_type,
                    "confidence": h.confidence,
                    "run": h.run_id,
                }
            )
        for a in s.scalars(select(Action).where(Action.raw_image_id == doc_id).order_by(Action.created_at)):
            story.actions.append({"type": a.type, "priority": a.priority, "title": a.title, "open": not a.is_completed})
        extraction = s.get(Extraction, doc_id)
        if extraction is not None:
            story.extraction = {
                "type": extraction.doc_type,
                "status": extraction.status,
                "confidence": extraction.confidence,
                "fields": sorted(extraction.data),
                "field confidence": extraction.field_confidences or {},
                "schema": extraction.schema_version,
            }
        doc = s.get(DigitalDoc, f"dd_{doc_id}")
        if doc is not None:
            story.digital_doc = {"id": doc.id, "status": doc.status, "checklist item": doc.checklist_item_id}
    return story


def add_dagster(story: Story, instance: Any, url: str) -> None:
    """Partition status per stage and the runs that materialised (or failed) the document, with UI links."""
    from dagster import AssetKey

    from ella_dagster.assets import documents_partitions

    doc_id = story.document["document"]
    if not instance.has_dynamic_partition(documents_partitions.name, doc_id):
        story.stages = dict.fromkeys(STAGE_NAMES, "ARCHIVED (no partition)")
        return
    run_ids: dict[str, float] = {}
    for stage in STAGE_NAMES:
        status = instance.get_status_by_partition(AssetKey(stage), [doc_id], documents_partitions)
        story.stages[stage] = status[doc_id].value if status and doc_id in status else "MISSING"
        for record in _materialisations(instance, AssetKey(stage), doc_id):
            run_ids[record.run_id] = record.timestamp
    for run_id, _ in sorted(run_ids.items(), key=lambda item: -item[1]):
        run = instance.get_run_by_id(run_id)
        if run is not None:
            story.runs.append(
                {
                    "run": run_id,
                    "status": run.status.value,
                    "launched by": run.tags.get("ella/command", "-"),
                    "link": f"{url.rstrip('/')}/runs/{run_id}",
                }
            )


def _materialisations(instance: Any, key: Any, doc_id: str) -> list[Any]:
    from dagster import AssetRecordsFilter

    return list(
        instance.fetch_materializations(AssetRecordsFilter(asset_key=key, asset_partitions=[doc_id]), limit=20).records
    )
