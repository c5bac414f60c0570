from ella_dagster.sensors.uploads import new_uploads_sensor

__all__ = ["new_uploads_sensor"]
