"""Notices new uploads, registers one dynamic partition per document and asks for one run each."""

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from ella_dagster.assets.documents import documents_partitions
from ella_dagster.config import Settings
from ella_dagster.domain.pii import mask_text
from ella_dagster.jobs import process_documents_job
from ella_dagster.pipeline.intake import register_upload
from ella_dagster.resources import DatabaseResource, DocumentStoreResource

_settings = Settings.from_env()


@sensor(
    job=process_documents_job,
    minimum_interval_seconds=_settings.sensor_interval_seconds,
    default_status=DefaultSensorStatus.RUNNING,
    description="Lists uploads journalled since the cursor (at most ELLA_SENSOR_MAX_PER_TICK a tick), "
    "creates their raw_images rows, adds a `documents` partition and requests one run per document.",
)
def new_uploads_sensor(
    context: SensorEvaluationContext, db: DatabaseResource, store: DocumentStoreResource
) -> SensorResult | SkipReason:
    database, documents = db.get_database(), store.get_store()
    markers = documents.new_uploads(context.cursor, limit=_settings.sensor_max_per_tick)
    if not markers:
        return SkipReason("no new uploads")
    new_ids: list[str] = []
    for marker in markers:
        try:
            register_upload(database, documents, marker)
        except Exception as exc:  # noqa: BLE001 - one bad upload never stops the others
            # Driver errors quote the row's values (file names may hold an SSN): mask before logging.
            reason = mask_text(f"{exc.__class__.__name__}: {exc}")[:500]
            context.log.error(f"upload {marker.upload_id} could not be registered: {reason}")
            continue
        new_ids.append(marker.upload_id)
    known = set(context.instance.get_dynamic_partitions(documents_partitions.name)) if new_ids else set()
    to_add = [i for i in new_ids if i not in known]
    return SensorResult(
        run_requests=[RunRequest(partition_key=i, run_key=f"document-{i}", tags={"ella/document": i}) for i in new_ids],
        dynamic_partitions_requests=[documents_partitions.build_add_request(to_add)] if to_add else [],
        cursor=markers[-1].marker,
    )
