"""Dagster resources: thin, configurable handles on the database, the document store and the engine."""

import functools
import os
from abc import ABC, abstractmethod

from dagster import ConfigurableResource, EnvVar, ResourceDependency
from dagster_aws.s3 import S3Resource

from ella_dagster.config import Settings
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
def _engine(kind: str, revision: str) -> Engine:
    return engine_for(kind, revision)


class EngineResource(ConfigurableResource):
    kind: str = "offline"
    revision: str = ""

    def get_engine(self) -> Engine:
        return _engine(self.kind, self.revision)


def resources_from_settings(settings: Settings) -> dict[str, object]:
    store: DocumentStoreResource
    if settings.store == "s3":
        s3 = S3Resource(endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region)
        store = S3DocumentStoreResource(s3=s3, bucket=settings.s3_bucket)
    else:
        store = LocalDocumentStoreResource(root=str(settings.store_root))
    # A configured URL may hold a password: the resource reads it from the environment, so the UI's
    # resource page shows the variable's name, not its value. The embedded default holds no secret.
    url = EnvVar("ELLA_DATABASE_URL") if os.environ.get("ELLA_DATABASE_URL") else settings.database_url
    return {
        "db": DatabaseResource(url=url),
        "store": store,
        "engine": EngineResource(kind=settings.engine, revision=settings.engine_revision),
    }
