from ella_dagster.sensors.stuck import stuck_documents_sensor
from ella_dagster.sensors.uploads import new_uploads_sensor

__all__ = ["new_uploads_sensor", "stuck_documents_sensor"]
