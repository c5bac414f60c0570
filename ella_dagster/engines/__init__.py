"""Document-understanding engines behind one interface (offline Tesseract today)."""

from ella_dagster.config import Settings
from ella_dagster.engines.base import Classification, Engine, Extraction
from ella_dagster.engines.offline import OfflineEngine
from ella_dagster.engines.rules import RULES_VERSION

__all__ = ["Classification", "Engine", "Extraction", "OfflineEngine", "code_version", "engine_for"]


def engine_for(kind: str, revision: str = "") -> Engine:
    if kind == "offline":
        return OfflineEngine(revision)
    raise ValueError(f"unknown engine {kind!r} (ELLA_ENGINE): only 'offline' is available")


def code_version(settings: Settings) -> str:
    """The classification asset's code version: engine + rules/prompt version (+ revision)."""
    version = f"{settings.engine}+{RULES_VERSION}"
    return f"{version}+{settings.engine_revision}" if settings.engine_revision else version
