"""An S3-compatible bucket as the document store (AWS S3, Cloudflare R2 via endpoint_url, MinIO)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ella_dagster.store.base import (
    JOURNAL_PREFIX,
    DocumentStore,
    ObjectInfo,
    StoredObject,
    decode_metadata,
    encode_metadata,
)


class S3DocumentStore(DocumentStore):
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def put(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, Metadata=encode_metadata(metadata or {}))

    def get(self, key: str) -> StoredObject:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(key) from exc
            raise
        return StoredObject(response["Body"].read(), decode_metadata(response.get("Metadata", {})))

    def stat(self, key: str) -> ObjectInfo:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(key) from exc
            raise
        return ObjectInfo(head["ContentLength"], decode_metadata(head.get("Metadata", {})))

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except FileNotFoundError:
            return False
        return True

    def copy(self, source: str, target: str) -> None:
        self.client.copy_object(
            Bucket=self.bucket,
            Key=target,
            CopySource={"Bucket": self.bucket, "Key": source},
            MetadataDirective="COPY",
        )

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def _list_journal(self, after: str | None, limit: int) -> list[tuple[str, str]]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": JOURNAL_PREFIX, "MaxKeys": limit}
        if after:
            kwargs["StartAfter"] = after  # server-side: only keys after the cursor are listed
        response = self.client.list_objects_v2(**kwargs)
        markers = [item["Key"] for item in response.get("Contents", [])]
        return [(m, self.get(m).data.decode()) for m in markers]


def _missing(exc: ClientError) -> bool:
    """GET answers NoSuchKey, HEAD (no body) a bare 404 / NotFound."""
    return exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")
