"""The code location: what `dagster dev`, the daemon and the webserver load."""

from collections.abc import Mapping

from dagster import Definitions, in_process_executor

from ella_dagster.assets import DOCUMENT_ASSETS, confidence_metrics
from ella_dagster.config import Settings, current
from ella_dagster.jobs import process_documents_job
from ella_dagster.resources import resources_from_settings
from ella_dagster.schedules import confidence_metrics_job, confidence_metrics_schedule
from ella_dagster.sensors import new_uploads_sensor, stuck_documents_sensor


def build_definitions(settings: Settings, resources: Mapping[str, object] | None = None) -> Definitions:
    """The whole code location from one settings object; `resources` replaces some of the resources
    (a test or benchmark location with its own engine)."""
    return Definitions(
        assets=[*DOCUMENT_ASSETS, confidence_metrics],
        jobs=[process_documents_job, confidence_metrics_job],
        sensors=[new_uploads_sensor, stuck_documents_sensor],
        schedules=[confidence_metrics_schedule],
        resources={**resources_from_settings(settings), **(resources or {})},
        # Backfills launched from the UI or `ella reclassify` run all of a batch's stages in one process.
        executor=in_process_executor,
    )


defs = build_definitions(current())
