"""Re-drives documents that no run is working on but that never reached a terminal state
(a killed run, a crashed daemon between registering an upload and launching its run)."""

import datetime as dt
import os

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from sqlalchemy import select

from ella_dagster.assets.documents import documents_partitions
from ella_dagster.db.models import RawImage, utcnow
from ella_dagster.jobs import process_documents_job
from ella_dagster.pipeline.actions import mark_failed
from ella_dagster.resources import DatabaseResource

STUCK_AFTER = dt.timedelta(minutes=float(os.environ.get("ELLA_STUCK_AFTER_MINUTES", "15")))
MAX_ATTEMPTS = 3
PER_TICK = 20
LIVE = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


@sensor(
    job=process_documents_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Documents unfinished for ELLA_STUCK_AFTER_MINUTES with no live run get a new run "
    f"(at most {MAX_ATTEMPTS} runs a document; then FAILED with an AI_FAILED action).",
)
def stuck_documents_sensor(context: SensorEvaluationContext, db: DatabaseResource) -> SensorResult | SkipReason:
    database = db.get_database()
    cutoff = utcnow() - STUCK_AFTER
    with database.transaction() as s:
        stuck = list(
            s.scalars(
                select(RawImage.id)
                .where(RawImage.processed_at.is_(None), RawImage.updated_at < cutoff)
                .order_by(RawImage.updated_at)
                .limit(PER_TICK)
            )
        )
    requests, known = [], set(context.instance.get_dynamic_partitions(documents_partitions.name))
    for doc_id in stuck:
        runs = context.instance.get_runs(RunsFilter(tags={"dagster/partition": doc_id}))
        if any(run.status in LIVE for run in runs):
            continue
        if len(runs) >= MAX_ATTEMPTS:
            with database.transaction() as s:
                mark_failed(s, doc_id, f"stuck: {len(runs)} runs ended without finishing the document")
            continue
        context.log.info(f"re-driving document {doc_id} (run {len(runs) + 1})")
        requests.append(
            RunRequest(
                partition_key=doc_id,
                run_key=f"redrive-{doc_id}-{len(runs)}",
                tags={"ella/document": doc_id, "ella/redrive": str(len(runs))},
            )
        )
    if not requests:
        return SkipReason(f"{len(stuck)} unfinished documents, none without a live run")
    missing = [r.partition_key for r in requests if r.partition_key not in known]
    return SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[documents_partitions.build_add_request(missing)] if missing else [],
    )
