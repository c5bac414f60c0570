"""Settings from the environment, read once into one validated object: the code location, the CLI,
the instance's dagster.yaml and the engines are all made from it. With nothing set, everything runs
embedded on this machine."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class GeminiSettings:
    """The Gemini engine's settings (GEMINI_*); used when ELLA_ENGINE is gemini."""

    api_key: str = field(repr=False)  # a secret: never in a repr, a log line or a resource's config
    model: str = "gemini-2.5-flash"
    fallback_models: tuple[str, ...] = ("gemini-2.5-flash-lite",)
    base_url: str | None = None  # a stand-in server in tests; Google's endpoint by default
    requests_per_window: int = 10
    window_seconds: float = 60.0
    max_retries: int = 0  # the document's retry budget (pipeline/batch.py) is the only one by default
    retry_delay_seconds: float = 1.0
    timeout_seconds: float = 60.0

    @property
    def models(self) -> list[str]:
        return [self.model, *(m for m in self.fallback_models if m != self.model)]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GeminiSettings:
        model = env.get("GEMINI_MODEL", "").strip() or "gemini-2.5-flash"
        delay_ms = _number(env, "GEMINI_RETRY_DELAY_MS", "1000", int)
        _at_least(0, GEMINI_RETRY_DELAY_MS=delay_ms)
        fallbacks = env.get("GEMINI_FALLBACK_MODELS", "gemini-2.5-flash-lite,gemini-2.5-flash")
        settings = cls(
            api_key=env.get("GEMINI_API_KEY", ""),
            model=model,
            fallback_models=tuple(m.strip() for m in fallbacks.split(",") if m.strip() and m.strip() != model),
            base_url=env.get("GEMINI_BASE_URL") or None,
            requests_per_window=_number(env, "GEMINI_RPM", "10", int),
            window_seconds=_number(env, "GEMINI_RATE_WINDOW_SECONDS", "60", float),
            max_retries=_number(env, "GEMINI_MAX_RETRIES", "0", int),
            retry_delay_seconds=delay_ms / 1000,
            timeout_seconds=_number(env, "GEMINI_TIMEOUT_SECONDS", "60", float),
        )
        _at_least(1, GEMINI_RPM=settings.requests_per_window)
        _at_least(0, GEMINI_MAX_RETRIES=settings.max_retries)
        _positive(GEMINI_RATE_WINDOW_SECONDS=settings.window_seconds, GEMINI_TIMEOUT_SECONDS=settings.timeout_seconds)
        return settings


@dataclass(frozen=True)
class DagsterSettings:
    """Where the Dagster instance lives and its production switches (instance.py writes them into
    $DAGSTER_HOME/dagster.yaml): DAGSTER_HOME, ELLA_DAGSTER_PG_DB, ELLA_CELERY_BROKER_URL,
    ELLA_CELERY_BACKEND_URL, ELLA_MAX_CONCURRENT_RUNS."""

    home: Path  # DAGSTER_HOME, by default data/dagster_home
    pg_db: str | None = None  # the instance's own PostgreSQL database (default <appdb>_dagster)
    celery_broker_url: str | None = field(default=None, repr=False)  # may carry a password
    celery_backend_url: str | None = field(default=None, repr=False)  # None: the broker's
    max_concurrent_runs: int | None = None  # None: the project's dagster.yaml as it is; -1: no limit

    @classmethod
    def from_env(cls, env: Mapping[str, str], data_dir: Path) -> DagsterSettings:
        runs = env.get("ELLA_MAX_CONCURRENT_RUNS") or None
        settings = cls(
            home=Path(env.get("DAGSTER_HOME") or data_dir / "dagster_home").resolve(),
            pg_db=env.get("ELLA_DAGSTER_PG_DB") or None,
            celery_broker_url=env.get("ELLA_CELERY_BROKER_URL") or None,
            celery_backend_url=env.get("ELLA_CELERY_BACKEND_URL") or None,
            max_concurrent_runs=_number(env, "ELLA_MAX_CONCURRENT_RUNS", runs, int) if runs else None,
        )
        if settings.max_concurrent_runs is not None:
            _at_least(-1, ELLA_MAX_CONCURRENT_RUNS=settings.max_concurrent_runs)
        return settings


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str = field(repr=False)  # may carry a password
    store: str  # "local" | "s3"
    store_root: Path
    s3_bucket: str
    s3_endpoint_url: str | None
    s3_region: str
    engine: str
    engine_revision: str  # bump to mark every classification out of date (shown as code version)
    sensor_interval_seconds: int
    sensor_max_per_tick: int
    batch_size: int  # documents per run
    batch_max_wait_seconds: float  # a partial batch waits at most this long while runs are busy
    journal_overlap_seconds: float  # how late a journal marker may become visible and still be seen
    stuck_after_minutes: float = 15.0  # an unfinished document with no live run is re-driven after this
    max_unknown_share: float = 0.5  # the metrics' expectation: at most this share of a day UNKNOWN
    gemini: GeminiSettings = GeminiSettings(api_key="")
    dagster: DagsterSettings = None  # type: ignore[assignment]  # None: the defaults under data_dir

    def __post_init__(self) -> None:
        if self.dagster is None:
            object.__setattr__(self, "dagster", DagsterSettings(home=(self.data_dir / "dagster_home").resolve()))
        _choice("ELLA_STORE", self.store, STORES)
        _choice("ELLA_ENGINE", self.engine, ENGINES)
        for name, value in (
            ("ELLA_SENSOR_INTERVAL_SECONDS", self.sensor_interval_seconds),
            ("ELLA_SENSOR_MAX_PER_TICK", self.sensor_max_per_tick),
            ("ELLA_BATCH_SIZE", self.batch_size),
        ):
            if value < 1:
                raise SettingsError(f"{name} must be at least 1, got {value}")
        for name, value in (
            ("ELLA_BATCH_MAX_WAIT_SECONDS", self.batch_max_wait_seconds),
            ("ELLA_JOURNAL_OVERLAP_SECONDS", self.journal_overlap_seconds),
            ("ELLA_STUCK_AFTER_MINUTES", self.stuck_after_minutes),
        ):
            if value < 0:
                raise SettingsError(f"{name} must not be negative, got {value}")
        if not 0 <= self.max_unknown_share <= 1:
            raise SettingsError(f"ELLA_MAX_UNKNOWN_SHARE must be between 0 and 1, got {self.max_unknown_share}")
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            backend = make_url(self.database_url).get_backend_name()
        except ArgumentError:
            backend = None
        if backend not in ("sqlite", "postgresql"):  # the message never repeats the URL: it may hold a password
            raise SettingsError("ELLA_DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Fresh settings from `env` (default: the process environment). Raises SettingsError, naming
        the variable, on a value that cannot be used: a typo must stop the code location from
        loading, not silently pick a default (ELLA_STORE=s4 used to mean the local folder)."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("ELLA_DATA_DIR", PROJECT_ROOT / "data")).resolve()
        return cls(
            data_dir=data_dir,
            database_url=env.get("ELLA_DATABASE_URL") or f"sqlite:///{data_dir / 'ella.db'}",
            store=env.get("ELLA_STORE", "local").strip().lower(),
            store_root=Path(env.get("ELLA_STORE_ROOT", data_dir / "store")),
            s3_bucket=env.get("ELLA_S3_BUCKET", "ella-documents"),
            s3_endpoint_url=env.get("ELLA_S3_ENDPOINT_URL") or None,
            s3_region=env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", "auto")),
            # GEMINI_API_KEY set -> Gemini; otherwise the offline engine. ELLA_ENGINE overrides.
            engine=(env.get("ELLA_ENGINE") or ("gemini" if env.get("GEMINI_API_KEY") else "offline")).strip().lower(),
            engine_revision=env.get("ELLA_ENGINE_REVISION", ""),
            sensor_interval_seconds=_number(env, "ELLA_SENSOR_INTERVAL_SECONDS", "2", int),
            sensor_max_per_tick=_number(env, "ELLA_SENSOR_MAX_PER_TICK", "100", int),
            batch_size=_number(env, "ELLA_BATCH_SIZE", "25", int),
            batch_max_wait_seconds=_number(env, "ELLA_BATCH_MAX_WAIT_SECONDS", "4", float),
            journal_overlap_seconds=_number(env, "ELLA_JOURNAL_OVERLAP_SECONDS", "300", float),
            stuck_after_minutes=_number(env, "ELLA_STUCK_AFTER_MINUTES", "15", float),
            max_unknown_share=_number(env, "ELLA_MAX_UNKNOWN_SHARE", "0.5", float),
            gemini=GeminiSettings.from_env(env),
            dagster=DagsterSettings.from_env(env, data_dir),
        )


STORES = ("local", "s3")
ENGINES = ("offline", "gemini")


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the environment variable."""


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise SettingsError(f"{name}={value!r} is not one of {', '.join(allowed)}")


def _number(env: Mapping[str, str], name: str, default: str, kind: type[int] | type[float]) -> Any:
    raw = env.get(name, default)
    try:
        return kind(raw)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise SettingsError(f"{name} must be {what}, got {raw!r}") from None


def _at_least(minimum: float, **values: float) -> None:
    for name, value in values.items():
        if value < minimum:
            raise SettingsError(f"{name} must be at least {minimum}, got {value}")


def _positive(**values: float) -> None:
    for name, value in values.items():
        if value <= 0:
            raise SettingsError(f"{name} must be more than 0, got {value}")


@functools.cache
def current() -> Settings:
    """The process's settings, read once (the code location, the CLI, the sensors share them)."""
    return Settings.from_env()
