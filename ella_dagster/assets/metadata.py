"""Step results as Dagster metadata: typed where Dagster can plot it, masked everywhere."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from dagster import MetadataValue
from sqlalchemy import select

from ella_dagster.db.models import RawImage
from ella_dagster.db.session import Database
from ella_dagster.domain.pii import mask_fields, mask_text

_UNMASKED = {"sha256", "phash"}  # hex digests, not identifiers


def to_metadata(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            out[name] = MetadataValue.null()
        elif isinstance(value, bool | int | float):
            out[name] = value
        elif isinstance(value, str):
            out[name] = value if name in _UNMASKED else mask_text(value)
        elif isinstance(value, dict):
            out[name] = MetadataValue.json(mask_fields(value))
        else:
            out[name] = MetadataValue.json([mask_text(v) if isinstance(v, str) else v for v in value])
    return out


def document_identity(db: Database, doc_ids: list[str]) -> dict[str, dict[str, str]]:
    """What lets a person recognise each document in the UI, shown on every stage's materialisation and
    check evaluation of its partition: case, file name (masked) and upload time. Partition keys stay the
    upload ids (the sensor and intake name them); this is their label."""
    if not doc_ids:
        return {}
    with db.transaction() as s:
        rows = s.execute(
            select(RawImage.id, RawImage.case_id, RawImage.original_filename, RawImage.uploaded_at).where(
                RawImage.id.in_(doc_ids)
            )
        ).all()
    return {
        doc_id: {"case": case_id, "file": mask_text(filename), "uploaded": f"{uploaded:%Y-%m-%d %H:%M:%S} UTC"}
        for doc_id, case_id, filename, uploaded in rows
    }


def partition_link(doc_id: str, asset: str = "document_hash") -> str:
    """The UI path of one document's partition of a stage (relative to the webserver's root)."""
    return f"/assets/{asset}?view=partitions&partition={quote(doc_id)}"


def documents_directory(db: Database, day: dt.date, limit: int = 500) -> tuple[int, str]:
    """The day's uploads as a markdown table (case, masked file name, type, status, upload time) with a
    link to each document's partition: how a person finds a document by its case and file name."""
    start = dt.datetime.combine(day, dt.time())
    with db.transaction() as s:
        rows = s.execute(
            select(
                RawImage.id,
                RawImage.case_id,
                RawImage.original_filename,
                RawImage.classified_type,
                RawImage.status,
                RawImage.uploaded_at,
            )
            .where(RawImage.uploaded_at >= start, RawImage.uploaded_at < start + dt.timedelta(days=1))
            .order_by(RawImage.case_id, RawImage.uploaded_at, RawImage.id)
        ).all()
    if not rows:
        return 0, "No uploads this day."
    lines = ["| case | file | type | status | uploaded | document |", "|---|---|---|---|---|---|"]
    for doc_id, case_id, filename, doc_type, status, uploaded in rows[:limit]:
        name = mask_text(filename).replace("|", "/")
        lines.append(
            f"| {case_id} | {name} | {doc_type or '-'} | {status} | {uploaded:%H:%M:%S} | "
            f"[{doc_id}]({partition_link(doc_id)}) |"
        )
    if len(rows) > limit:
        lines.append(
            f"\n(the first {limit} of {len(rows)}; `ella reclassify --uploaded-from {day} --dry-run` lists all)"
        )
    return len(rows), "\n".join(lines)
