"""Document-understanding engines behind one interface (offline Tesseract today)."""

from ella_dagster.engines.base import Classification, Engine, Extraction
from ella_dagster.engines.offline import OfflineEngine

__all__ = ["Classification", "Engine", "Extraction", "OfflineEngine", "engine_from_env"]


def engine_from_env() -> Engine:
    return OfflineEngine()
