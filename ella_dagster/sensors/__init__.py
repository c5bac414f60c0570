from ella_dagster.sensors.stuck import build_stuck_sensor
from ella_dagster.sensors.uploads import build_uploads_sensor

__all__ = ["build_stuck_sensor", "build_uploads_sensor"]
