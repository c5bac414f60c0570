"""Document-understanding engines behind one interface: the offline Tesseract engine (embedded
default) and Gemini (when GEMINI_API_KEY is set)."""

from __future__ import annotations

from ella_dagster.config import GeminiSettings, Settings
from ella_dagster.engines.base import Classification, Engine, Extraction
from ella_dagster.engines.offline import OfflineEngine
from ella_dagster.engines.rules import RULES_VERSION

__all__ = ["Classification", "Engine", "Extraction", "OfflineEngine", "code_version", "engine_for", "settings_engine"]


def engine_for(
    kind: str,
    revision: str = "",
    gemini: GeminiSettings | None = None,
    *,
    database_url: str = "",
    data_dir: str = "",
) -> Engine:
    """The engine of `kind`. Gemini takes its settings and the place its request rate is shared (the
    app database on PostgreSQL, a file under `data_dir` on SQLite); without `gemini` they are the
    process's settings (config.current())."""
    if kind == "offline":
        return OfflineEngine(revision)
    if kind == "gemini":
        from ella_dagster import ratelimit
        from ella_dagster.engines.gemini import GeminiEngine

        if gemini is None:
            from ella_dagster.config import current

            settings = current()
            gemini, database_url, data_dir = settings.gemini, settings.database_url, str(settings.data_dir)
        limiter = ratelimit.shared_limiter(database_url, data_dir, gemini.requests_per_window, gemini.window_seconds)
        return GeminiEngine(gemini, acquire=lambda: ratelimit.acquire(limiter))
    raise ValueError(f"unknown engine {kind!r} (ELLA_ENGINE): use 'offline' or 'gemini'")


def settings_engine(settings: Settings) -> Engine:
    """The engine these settings configure (the CLI's; the code location's comes from EngineResource,
    built from the same settings)."""
    return engine_for(
        settings.engine,
        settings.engine_revision,
        settings.gemini,
        database_url=settings.database_url,
        data_dir=str(settings.data_dir),
    )


def code_version(settings: Settings) -> str:
    """The classification asset's code version: engine + model + rules/prompt version (+ revision),
    from the same settings the engine resource is built from (resources.resources_from_settings)."""
    if settings.engine == "gemini":
        from ella_dagster.engines.prompts import PROMPT_VERSION

        version = f"gemini+{settings.gemini.model}+{PROMPT_VERSION}"
    else:
        version = f"{settings.engine}+{RULES_VERSION}"
    return f"{version}+{settings.engine_revision}" if settings.engine_revision else version
