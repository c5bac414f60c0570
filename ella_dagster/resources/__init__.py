"""Dagster resources: thin, configurable handles on the database, the document store and the engine."""

import functools
import os
from abc import ABC, abstractmethod

from dagster import ConfigurableResource, EnvVar, ResourceDependency
from dagster_aws.s3 import S3Resource

from ella_dagster.config import GeminiSettings, Settings, SettingsError
from ella_dagster.db.session import Database
from ella_dagster.engines import Engine, engine_for
from ella_dagster.store import DocumentStore, LocalDocumentStore, S3DocumentStore


@functools.cache
def _database(url: str) -> Database:
    return Database(url)  # one engine (and pool) per process and URL


class DatabaseResource(ConfigurableResource):
    url: str

    def get_database(self) -> Database:
        return _database(self.url)


class DocumentStoreResource(ConfigurableResource, ABC):
    """Where uploads live; the local and S3 flavours share one interface (as hooli's FileSystem)."""

    @abstractmethod
    def get_store(self) -> DocumentStore: ...


class LocalDocumentStoreResource(DocumentStoreResource):
    root: str

    def get_store(self) -> DocumentStore:
        return LocalDocumentStore(self.root)


class S3DocumentStoreResource(DocumentStoreResource):
    s3: ResourceDependency[S3Resource]
    bucket: str

    def get_store(self) -> DocumentStore:
        return S3DocumentStore(self.s3.get_client(), self.bucket)


@functools.cache
def _engine(kind: str, revision: str, gemini: GeminiSettings | None, database_url: str, data_dir: str) -> Engine:
    return engine_for(kind, revision, gemini, database_url=database_url, data_dir=data_dir)


class EngineResource(ConfigurableResource):
    """The document-understanding engine. For Gemini the model chain, request rate, retries and
    timeout are configured here, so the resource page shows what runs (and the classification code
    version names the same model); the API key and a database URL holding a password appear only
    as the environment variable's name."""

    kind: str = "offline"
    revision: str = ""
    model: str = GeminiSettings.model
    fallback_models: list[str] = list(GeminiSettings.fallback_models)
    api_key: str = ""
    base_url: str = ""  # empty: Google's endpoint
    requests_per_window: int = GeminiSettings.requests_per_window
    window_seconds: float = GeminiSettings.window_seconds
    max_retries: int = GeminiSettings.max_retries
    retry_delay_seconds: float = GeminiSettings.retry_delay_seconds
    timeout_seconds: float = GeminiSettings.timeout_seconds
    # Where Gemini's request rate is shared: the app database on PostgreSQL, a file here on SQLite.
    database_url: str = ""
    data_dir: str = ""

    def gemini_settings(self) -> GeminiSettings:
        return GeminiSettings(
            api_key=self.api_key,
            model=self.model,
            fallback_models=tuple(m for m in self.fallback_models if m != self.model),
            base_url=self.base_url or None,
            requests_per_window=self.requests_per_window,
            window_seconds=self.window_seconds,
            max_retries=self.max_retries,
            retry_delay_seconds=self.retry_delay_seconds,
            timeout_seconds=self.timeout_seconds,
        )

    def get_engine(self) -> Engine:
        if self.kind != "gemini":
            return _engine(self.kind, self.revision, None, "", "")
        return _engine(self.kind, self.revision, self.gemini_settings(), self.database_url, self.data_dir)


def _from_environment(name: str, value: str) -> str | EnvVar:
    """A setting that may hold a secret, for a resource's config: an EnvVar (the UI shows the name, the
    run reads the value) when the process environment holds this value."""
    if os.environ.get(name) == value:
        return EnvVar(name)
    raise SettingsError(
        f"{name} holds a secret and these settings were not read from the environment: "
        "a resource takes a secret only as an environment variable"
    )


def _database_url(settings: Settings) -> str | EnvVar:
    """The database URL for a resource: by name when it came from ELLA_DATABASE_URL (it may hold a
    password); the embedded default, or a URL without a password from elsewhere, as it is."""
    from ella_dagster.instance import url_password

    if os.environ.get("ELLA_DATABASE_URL") == settings.database_url:
        return EnvVar("ELLA_DATABASE_URL")
    if url_password(settings.database_url):
        return _from_environment("ELLA_DATABASE_URL", settings.database_url)
    return settings.database_url


def engine_resource(settings: Settings) -> EngineResource:
    """The engine resource for these settings (the code versions come from the same object)."""
    if settings.engine != "gemini":
        return EngineResource(kind=settings.engine, revision=settings.engine_revision)
    gemini = settings.gemini
    return EngineResource(
        kind=settings.engine,
        revision=settings.engine_revision,
        model=gemini.model,
        fallback_models=list(gemini.fallback_models),
        api_key=_from_environment("GEMINI_API_KEY", gemini.api_key) if gemini.api_key else "",
        base_url=gemini.base_url or "",
        requests_per_window=gemini.requests_per_window,
        window_seconds=gemini.window_seconds,
        max_retries=gemini.max_retries,
        retry_delay_seconds=gemini.retry_delay_seconds,
        timeout_seconds=gemini.timeout_seconds,
        database_url=_database_url(settings),
        data_dir=str(settings.data_dir),
    )


def store_resource(settings: Settings) -> DocumentStoreResource:
    """The document store for these settings (S3 credentials come from the usual AWS_* variables)."""
    if settings.store == "s3":
        s3 = S3Resource(endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region)
        return S3DocumentStoreResource(s3=s3, bucket=settings.s3_bucket)
    return LocalDocumentStoreResource(root=str(settings.store_root))


def resources_from_settings(settings: Settings) -> dict[str, object]:
    """The code location's resources, all from one settings object. A configured database URL may
    hold a password and the Gemini key is one: the resources read them from the environment, so the
    UI's resource page shows the variables' names, not their values."""
    return {
        "db": DatabaseResource(url=_database_url(settings)),
        "store": store_resource(settings),
        "engine": engine_resource(settings),
    }
