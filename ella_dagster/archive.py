"""Closing a tax season in Dagster: its documents' `documents` partition keys are removed, their records stay.

Dagster loads every key of a dynamic partitions definition to resolve a run's partition range and to
draw the partition view, so one definition should stay under ~10^5 keys (a few seasons of a mid-size
firm). Once a season's documents are final, `ella archive --season YEAR` deletes their keys; the
database keeps every row, history and digital doc. A backfill that names an archived document
(`ella reclassify`, `ella rerun-failed`) adds its key back first, at the end of the partition order.
"""

from __future__ import annotations

from collections.abc import Callable

from dagster import DagsterInstance
from sqlalchemy import select

from ella_dagster.assets.documents import documents_partitions
from ella_dagster.db.models import RawImage, TaxCase
from ella_dagster.db.session import Database


def archivable(db: Database, season: int) -> list[str]:
    """Documents of the season's cases that reached a terminal state (in flight ones are kept)."""
    with db.transaction() as s:
        return list(
            s.scalars(
                select(RawImage.id)
                .join(TaxCase, TaxCase.id == RawImage.case_id)
                .where(TaxCase.tax_year == season, RawImage.processed_at.is_not(None))
                .order_by(RawImage.id)
            )
        )


def archive_season(
    db: Database, instance: DagsterInstance, season: int, on_progress: Callable[[int], None] | None = None
) -> int:
    """Deletes the season's finished documents' partition keys; returns how many were removed."""
    ids = archivable(db, season)
    present = instance.get_existing_dynamic_partitions(documents_partitions.name, ids) if ids else set()
    for done, doc_id in enumerate(doc for doc in ids if doc in present):
        instance.delete_dynamic_partition(documents_partitions.name, doc_id)
        if on_progress:
            on_progress(done + 1)
    return len(present)


def restore_partitions(instance: DagsterInstance, doc_ids: list[str]) -> None:
    """Archived documents named by a backfill get their keys back (idempotent for the others)."""
    if doc_ids:
        instance.add_dynamic_partitions(documents_partitions.name, doc_ids)
