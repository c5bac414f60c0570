"""The code location: what `dagster dev`, the daemon and the webserver load."""

from dagster import Definitions

from ella_dagster.assets import DOCUMENT_ASSETS
from ella_dagster.config import Settings
from ella_dagster.jobs import process_documents_job
from ella_dagster.resources import resources_from_settings
from ella_dagster.sensors import new_uploads_sensor

defs = Definitions(
    assets=DOCUMENT_ASSETS,
    jobs=[process_documents_job],
    sensors=[new_uploads_sensor],
    resources=resources_from_settings(Settings.from_env()),
)
