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

    def put_if_absent(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        # `If-None-Match: *`: S3 (and R2, MinIO) refuse the write with 412 when the key exists.
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, Metadata=encode_metadata(metadata or {}), IfNoneMatch="*"
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
                raise FileExistsError(key) from exc
            raise

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

    def bucket_exists(self) -> bool:
        """Whether the bucket is there (HEAD bucket: 404 -> False; no permission raises)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if self.is_missing_bucket(exc):
                return False
            raise
        return True

    def create_bucket(self) -> bool:
        """Creates the bucket; True when created, False when these credentials already own it. Outside
        us-east-1 AWS wants the region as a location constraint; R2 ("auto") and MinIO do not."""
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        region = self.client.meta.region_name
        if region and region not in ("us-east-1", "auto") and "amazonaws.com" in self.client.meta.endpoint_url:
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            self.client.create_bucket(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "BucketAlreadyOwnedByYou":
                return False
            raise
        return True

    @staticmethod
    def is_missing_bucket(exc: BaseException) -> bool:
        """A ClientError saying the bucket itself is not there (not a missing key)."""
        if not isinstance(exc, ClientError):
            return False
        error = exc.response.get("Error", {})
        if error.get("Code") == "NoSuchBucket":
            return True
        # HEAD has no body: a bare 404 on a bucket-level call
        return error.get("Code") in ("404", "NotFound") and exc.operation_name in ("HeadBucket", "GetBucketLocation")

    def _list_markers(self, after: str | None, limit: int, until: str | None = None) -> list[str]:
        found: list[str] = []
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": JOURNAL_PREFIX}
        if after:
            kwargs["StartAfter"] = after  # server-side: only keys after the cursor are listed
        for page in self.client.get_paginator("list_objects_v2").paginate(
            **kwargs, PaginationConfig={"PageSize": min(max(limit, 1), 1000)}
        ):
            for item in page.get("Contents", []):
                if (until and item["Key"] > until) or len(found) >= limit:
                    return found
                found.append(item["Key"])
        return found


def _missing(exc: ClientError) -> bool:
    """GET answers NoSuchKey, HEAD (no body) a bare 404 / NotFound."""
    return exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")
