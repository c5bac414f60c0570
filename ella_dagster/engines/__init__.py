"""Document-understanding engines behind one interface: the offline Tesseract engine (embedded
default) and Gemini (when GEMINI_API_KEY is set)."""

from ella_dagster.config import Settings
from ella_dagster.engines.base import Classification, Engine, Extraction
from ella_dagster.engines.offline import OfflineEngine
from ella_dagster.engines.rules import RULES_VERSION

__all__ = ["Classification", "Engine", "Extraction", "OfflineEngine", "code_version", "engine_for"]


def engine_for(kind: str, revision: str = "") -> Engine:
    if kind == "offline":
        return OfflineEngine(revision)
    if kind == "gemini":
        from ella_dagster import ratelimit
        from ella_dagster.engines.gemini import GeminiEngine, GeminiSettings

        settings, gemini = Settings.from_env(), GeminiSettings.from_env()
        limiter = ratelimit.shared_limiter(
            settings.database_url, str(settings.data_dir), gemini.requests_per_window, gemini.window_seconds
        )
        return GeminiEngine(gemini, acquire=lambda: ratelimit.acquire(limiter))
    raise ValueError(f"unknown engine {kind!r} (ELLA_ENGINE): use 'offline' or 'gemini'")


def code_version(settings: Settings) -> str:
    """The classification asset's code version: engine + model + rules/prompt version (+ revision)."""
    if settings.engine == "gemini":
        from ella_dagster.engines.gemini import GeminiSettings
        from ella_dagster.engines.prompts import PROMPT_VERSION

        version = f"gemini+{GeminiSettings.from_env().model}+{PROMPT_VERSION}"
    else:
        version = f"{settings.engine}+{RULES_VERSION}"
    return f"{version}+{settings.engine_revision}" if settings.engine_revision else version
