"""Re-drives documents that no run is working on but that never reached a terminal state
(a killed run, a crashed daemon between registering an upload and launching its run)."""

import datetime as dt
import time

from dagster import (
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
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
    WILL_RETRY_TAG,
)
from sqlalchemy import select

from ella_dagster.assets.documents import documents_partitions
from ella_dagster.config import Settings
from ella_dagster.db.models import RawImage, utcnow
from ella_dagster.jobs import process_documents_job
from ella_dagster.pipeline.actions import mark_failed
from ella_dagster.resources import DatabaseResource

MAX_ATTEMPTS = 3
PER_TICK = 20
LIVE = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


def _still_alive(context: SensorEvaluationContext, live: list, stuck_after: dt.timedelta) -> list:
    """The live runs minus those whose process is gone. Under the daemon's default launcher a run whose
    process was killed (with the daemon, or alone) stays STARTED for ever: the launcher cannot check its
    worker, so run monitoring never fails it, and it holds a run slot. A STARTED run that wrote no event
    for ELLA_STUCK_AFTER_MINUTES (a batch writes one per document and stage) is reported failed here."""
    now, alive = time.time(), []
    for run in live:
        if run.status == DagsterRunStatus.STARTED:
            record = context.instance.get_run_record_by_id(run.run_id)
            events = context.instance.get_records_for_run(run.run_id, limit=1, ascending=False).records
            last = max(
                [e.timestamp for e in events]
                + [t for t in (record.start_time, record.create_timestamp.timestamp()) if t]
            )
            if now - last > stuck_after.total_seconds():
                silent = round((now - last) / 60)
                context.log.warning(f"run {run.run_id} wrote nothing for {silent} min: its process is gone")
                # Its documents are re-driven one by one below; a re-execution of the whole batch by
                # run_retries as well would process each of them twice.
                context.instance.add_run_tags(run.run_id, {WILL_RETRY_TAG: "false"})
                context.instance.report_run_failed(run, f"no event for {silent} minutes: the run's process is gone")
                continue
        alive.append(run)
    return alive


def _covered_by_live_runs(context: SensorEvaluationContext, doc_ids: list[str], live: list) -> set[str]:
    """The documents a live run works on: its own partition, or a batch range around it. A range is
    in the order partitions were added, which is not always id order (a slow upload registered after
    a later one, an archived key restored), so it is compared by position; the keys are loaded only
    when some live run is a batch (one query, <1 s at 10^5 keys). A key that is not a partition yet
    falls back to id order (ids are time-ordered)."""
    covered = {run.tags[PARTITION_NAME_TAG] for run in live if run.tags.get(PARTITION_NAME_TAG) in doc_ids}
    ranges = [
        (run.tags[ASSET_PARTITION_RANGE_START_TAG], run.tags[ASSET_PARTITION_RANGE_END_TAG])
        for run in live
        if run.tags.get(ASSET_PARTITION_RANGE_START_TAG) and run.tags.get(ASSET_PARTITION_RANGE_END_TAG)
    ]
    if not ranges:
        return covered
    position = {k: i for i, k in enumerate(context.instance.get_dynamic_partitions(documents_partitions.name))}
    for doc_id in doc_ids:
        for start, end in ranges:
            if all(k in position for k in (doc_id, start, end)):
                inside = position[start] <= position[doc_id] <= position[end]
            else:
                inside = start <= doc_id <= end
            if inside:
                covered.add(doc_id)
                break
    return covered


def build_stuck_sensor(settings: Settings) -> SensorDefinition:
    """The stuck-documents sensor for these settings (ELLA_STUCK_AFTER_MINUTES)."""
    stuck_after = dt.timedelta(minutes=settings.stuck_after_minutes)

    @sensor(
        name="stuck_documents_sensor",
        job=process_documents_job,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"Documents unfinished for {settings.stuck_after_minutes:g} minutes (ELLA_STUCK_AFTER_MINUTES) "
        "with no live run get a run of their own "
        f"(at most {MAX_ATTEMPTS} such runs a document; then FAILED with an AI_FAILED action).",
    )
    def stuck_documents_sensor(context: SensorEvaluationContext, db: DatabaseResource) -> SensorResult | SkipReason:
        database = db.get_database()
        cutoff = utcnow() - stuck_after
        with database.transaction() as s:
            stuck = list(
                s.scalars(
                    select(RawImage.id)
                    .where(RawImage.processed_at.is_(None), RawImage.updated_at < cutoff)
                    .order_by(RawImage.updated_at)
                    .limit(PER_TICK)
                )
            )
        if not stuck:
            return SkipReason("no unfinished documents")
        live = _still_alive(context, list(context.instance.get_runs(RunsFilter(statuses=LIVE))), stuck_after)
        covered = _covered_by_live_runs(context, stuck, live)
        requests = []
        for doc_id in stuck:
            if doc_id in covered:
                continue
            redrives = context.instance.get_runs_count(RunsFilter(tags={"ella/document": doc_id}))
            if redrives >= MAX_ATTEMPTS:
                with database.transaction() as s:
                    mark_failed(s, doc_id, f"stuck: {redrives} runs ended without finishing the document")
                continue
            context.log.info(f"re-driving document {doc_id} (run {redrives + 1} of its own)")
            requests.append(
                RunRequest(
                    partition_key=doc_id,
                    run_key=f"redrive-{doc_id}-{redrives}",
                    tags={"ella/document": doc_id, "ella/redrive": str(redrives), "ella/command": "redrive"},
                )
            )
        if not requests:
            return SkipReason(f"{len(stuck)} unfinished documents, none without a live run")
        # Idempotent: a document registered but never added as a partition (a crash in between) gets it now.
        return SensorResult(
            run_requests=requests,
            dynamic_partitions_requests=[documents_partitions.build_add_request([r.partition_key for r in requests])],
        )

    return stuck_documents_sensor
