"""The code location: what `dagster dev`, the daemon and the webserver load."""

from collections.abc import Mapping

from dagster import Definitions, in_process_executor

from ella_dagster.assets import build_document_assets, build_metrics_asset
from ella_dagster.config import Settings, current
from ella_dagster.jobs import process_documents_job
from ella_dagster.resources import resources_from_settings
from ella_dagster.schedules import confidence_metrics_job, confidence_metrics_schedule
from ella_dagster.sensors import build_stuck_sensor, build_uploads_sensor


def build_definitions(settings: Settings, resources: Mapping[str, object] | None = None) -> Definitions:
    """The whole code location from one settings object: the assets' code versions, pool and backfill
    batch, the sensors' intervals and limits, and the resources all come from `settings`, so what the
    UI shows is what runs. `resources` replaces some of the resources (a test or benchmark location
    with its own engine, built from the same settings)."""
    return Definitions(
        assets=[*build_document_assets(settings), build_metrics_asset(settings)],
        jobs=[process_documents_job, confidence_metrics_job],
        sensors=[build_uploads_sensor(settings), build_stuck_sensor(settings)],
        schedules=[confidence_metrics_schedule],
        resources={**resources_from_settings(settings), **(resources or {})},
        # Backfills launched from the UI or `ella reclassify` run all of a batch's stages in one process.
        executor=in_process_executor,
    )


defs = build_definitions(current())
