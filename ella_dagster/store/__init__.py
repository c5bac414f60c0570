"""The document store: a local folder by default, any S3-compatible bucket (S3, R2, MinIO) in production."""

from ella_dagster.store.base import DocumentStore, ObjectInfo, StoredObject, UploadMarker, new_upload_id
from ella_dagster.store.local import LocalDocumentStore
from ella_dagster.store.s3 import S3DocumentStore

__all__ = [
    "ObjectInfo",
    "DocumentStore",
    "LocalDocumentStore",
    "S3DocumentStore",
    "StoredObject",
    "UploadMarker",
    "new_upload_id",
]
