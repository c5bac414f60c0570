"""Notices new uploads, registers one dynamic partition per document and launches one run per batch.

No upload is lost between the store and the database:
- the cursor moves only past markers whose document is registered (or that can never be: a marker
  pointing outside any known case); a transient failure (a locked database, a storage error) stops the
  tick there and the next tick tries again from the same place;
- every tick also re-reads the markers of the last ELLA_JOURNAL_OVERLAP_SECONDS before the cursor and
  registers any that became visible late (a slow write, a clock a little behind); registration is
  idempotent, so this costs one listing and one query, not a second document.

Registered documents wait in the cursor until they fill a batch of ELLA_BATCH_SIZE, or a run slot is
free, or the oldest has waited ELLA_BATCH_MAX_WAIT_SECONDS; each batch is one run over a range of the
`documents` partitions (partitions are added in registration order, so the range is the batch). The
cursor, the partitions and the run requests of a tick are committed together, and the run key is the
batch's id, so a tick evaluated twice launches nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass, field

from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from ella_dagster.assets.documents import documents_partitions
from ella_dagster.config import Settings
from ella_dagster.domain.errors import sanitize_error
from ella_dagster.jobs import process_documents_job
from ella_dagster.pipeline.intake import is_transient, register_upload, register_uploads, registered_ids
from ella_dagster.resources import DatabaseResource, DocumentStoreResource
from ella_dagster.store import DocumentStore
from ella_dagster.store.base import journal_floor, upload_id_of

# Runs that hold a run slot or wait for one (batches, backfills, re-drives).
BUSY = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]
UNQUEUED_RUN_SLOTS = 2  # an instance without a run queue (tests): as many as dagster.yaml's default
CHUNK = 100  # markers registered in one transaction


@dataclass
class Cursor:
    journal: str | None = None  # the last marker whose document is registered, in journal order
    pending: list[str] = field(default_factory=list)  # registered, not yet launched, in partition order
    since: float | None = None  # when the oldest pending document was registered

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        if not text.startswith("{"):  # the earlier cursor: a bare marker key
            return cls(journal=text)
        data = json.loads(text)
        return cls(data.get("journal"), list(data.get("pending", [])), data.get("since"))

    def dump(self) -> str:
        return json.dumps({"journal": self.journal, "pending": self.pending, "since": self.since})


def run_slots(instance: DagsterInstance) -> int:
    """How many runs the instance's run queue starts at once (dagster.yaml's
    concurrency.runs.max_concurrent_runs, or ELLA_MAX_CONCURRENT_RUNS written there by `ella init`)."""
    queue = instance.get_concurrency_config().run_queue_config
    if queue is None:
        return UNQUEUED_RUN_SLOTS
    return queue.max_concurrent_runs if queue.max_concurrent_runs >= 0 else sys.maxsize  # -1: no limit


def batch_run_request(doc_ids: list[str], **tags: str) -> RunRequest:
    """One run over the range of `documents` partitions from the first document to the last."""
    batch_id = hashlib.sha256(" ".join(doc_ids).encode()).hexdigest()[:16]
    return RunRequest(
        run_key=f"batch-{batch_id}",
        tags={
            ASSET_PARTITION_RANGE_START_TAG: doc_ids[0],
            ASSET_PARTITION_RANGE_END_TAG: doc_ids[-1],
            "ella/batch": batch_id,
            "ella/batch_size": str(len(doc_ids)),
            **tags,
        },
    )


def _unregistered_late_markers(database, documents: DocumentStore, cursor: Cursor, overlap: float) -> list[str]:
    """Markers in the overlap window before the cursor whose document has no row yet."""
    if not cursor.journal or overlap <= 0:
        return []
    window = documents.list_markers(journal_floor(cursor.journal, overlap), limit=100_000, until=cursor.journal)
    known = registered_ids(database, [upload_id_of(m) for m in window])
    return [m for m in window if upload_id_of(m) not in known]


def _batches(cursor: Cursor, *, size: int, max_wait: float, now: float, slots_free: bool) -> list[list[str]]:
    """Full batches always; the partial rest when a run slot is free or it has waited long enough."""
    batches = []
    while len(cursor.pending) >= size:
        batches.append(cursor.pending[:size])
        cursor.pending = cursor.pending[size:]
    waited = now - (cursor.since or now)
    if cursor.pending and (slots_free or waited >= max_wait):
        batches.append(cursor.pending)
        cursor.pending = []
    if batches:
        cursor.since = now if cursor.pending else None
    return batches


def build_uploads_sensor(settings: Settings) -> SensorDefinition:
    """The uploads sensor for these settings: its interval, the markers read a tick, the batch size
    and wait, and the overlap window."""

    @sensor(
        name="new_uploads_sensor",
        job=process_documents_job,
        minimum_interval_seconds=settings.sensor_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"Registers uploads journalled since the cursor (at most {settings.sensor_max_per_tick} a tick, "
        f"ELLA_SENSOR_MAX_PER_TICK, plus late ones in the last {settings.journal_overlap_seconds:g} s), adds a "
        f"`documents` partition for each and launches one run per batch of {settings.batch_size} documents "
        f"(ELLA_BATCH_SIZE; a partial batch when a run slot is free or after {settings.batch_max_wait_seconds:g} s, "
        "ELLA_BATCH_MAX_WAIT_SECONDS).",
    )
    def new_uploads_sensor(
        context: SensorEvaluationContext, db: DatabaseResource, store: DocumentStoreResource
    ) -> SensorResult | SkipReason:
        database, documents = db.get_database(), store.get_store()
        cursor = Cursor.parse(context.cursor)
        now = time.time()

        stopped = None
        try:
            late = _unregistered_late_markers(database, documents, cursor, settings.journal_overlap_seconds)
            new = documents.list_markers(cursor.journal, limit=settings.sensor_max_per_tick)
        except Exception as exc:
            if not is_transient(exc):
                raise
            # The store or the database is down for a moment (an S3 500): nothing is passed, the cursor
            # stays, and the documents already waiting still get their batch.
            stopped = sanitize_error(f"{exc.__class__.__name__}: {exc}", max_length=300)
            context.log.warning(f"journal not read, retried next tick: {stopped}")
            late, new = [], []
        new_set = set(new)
        registered: list[str] = []
        markers = [*late, *new]
        for start in range(0, len(markers), CHUNK):
            chunk = markers[start : start + CHUNK]
            try:  # the common case: the whole chunk in one transaction
                register_uploads(database, documents, [documents.read_marker(m) for m in chunk])
            except Exception:  # noqa: BLE001 - one at a time below, to tell a bad marker from a bad moment
                pass
            else:
                registered += [upload_id_of(m) for m in chunk]
                cursor.journal = max([cursor.journal or "", *(m for m in chunk if m in new_set)]) or None
                continue
            for marker in chunk:
                try:
                    register_upload(database, documents, documents.read_marker(marker))
                except Exception as exc:  # noqa: BLE001 - sorted below: retry later, or skip a marker that can never work
                    reason = sanitize_error(f"{exc.__class__.__name__}: {exc}", max_length=300)
                    if is_transient(exc):
                        context.log.warning(
                            f"upload {upload_id_of(marker)} not registered yet, retried next tick: {reason}"
                        )
                        stopped = reason
                        break
                    context.log.error(f"upload {upload_id_of(marker)} can never be registered, skipped: {reason}")
                else:
                    registered.append(upload_id_of(marker))
                if marker in new_set:
                    cursor.journal = marker  # registered (or never registrable): the cursor may pass it
            if stopped:
                break

        fresh = [doc for doc in registered if doc not in cursor.pending]
        if fresh and not cursor.pending:
            cursor.since = now
        cursor.pending += fresh
        busy = context.instance.get_runs_count(RunsFilter(statuses=BUSY)) if cursor.pending else 0
        slots_free = bool(cursor.pending) and busy < run_slots(context.instance)
        batches = _batches(
            cursor, size=settings.batch_size, max_wait=settings.batch_max_wait_seconds, now=now, slots_free=slots_free
        )
        if not batches:
            note = f"; registration paused: {stopped}" if stopped else ""
            waiting = f"{len(cursor.pending)} documents waiting for a batch" if cursor.pending else "no new uploads"
            return SensorResult(
                skip_reason=waiting + note,
                dynamic_partitions_requests=[documents_partitions.build_add_request(fresh)] if fresh else [],
                cursor=cursor.dump(),
            )
        return SensorResult(
            run_requests=[batch_run_request(batch, **{"ella/command": "upload"}) for batch in batches],
            dynamic_partitions_requests=[documents_partitions.build_add_request(fresh)] if fresh else [],
            cursor=cursor.dump(),
        )

    return new_uploads_sensor
