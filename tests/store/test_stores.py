"""Both stores behave alike: the local folder and an S3 bucket on a real S3-speaking server."""

from pathlib import Path

import boto3
import pytest

from ella_dagster.store import DocumentStore, LocalDocumentStore, S3DocumentStore, new_upload_id


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> DocumentStore:
    if request.param == "local":
        return LocalDocumentStore(tmp_path / "store")
    endpoint, bucket = request.getfixturevalue("s3_endpoint"), request.getfixturevalue("s3_bucket")
    return S3DocumentStore(boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1"), bucket)


def test_put_get_keeps_bytes_and_unicode_metadata(store: DocumentStore) -> None:
    store.put("cases/c1/raw/a.png", b"bytes", {"original-filename": "Giấy tờ W2.png", "case-id": "c1"})
    got = store.get("cases/c1/raw/a.png")
    assert got.data == b"bytes"
    assert got.metadata["original-filename"] == "Giấy tờ W2.png"


def test_missing_object(store: DocumentStore) -> None:
    assert not store.exists("cases/c1/raw/none.png")
    with pytest.raises(FileNotFoundError):
        store.get("cases/c1/raw/none.png")


def test_move_is_copy_then_delete_with_metadata(store: DocumentStore) -> None:
    store.put("cases/c1/raw/a.pdf", b"%PDF", {"case-id": "c1"})
    assert store.move("cases/c1/raw/a.pdf", "cases/c1/docs/2024_W2.pdf")
    assert not store.exists("cases/c1/raw/a.pdf")
    assert store.get("cases/c1/docs/2024_W2.pdf").metadata == {"case-id": "c1"}


def test_journal_lists_only_what_is_after_the_cursor_in_upload_order(store: DocumentStore) -> None:
    ids = [new_upload_id() for _ in range(5)]
    assert ids == sorted(ids)
    for upload_id in ids:
        store.record_upload(upload_id, f"cases/c1/raw/{upload_id}.png")
    first = store.new_uploads(None, limit=3)
    assert [m.upload_id for m in first] == ids[:3]
    rest = store.new_uploads(first[-1].marker, limit=10)
    assert [m.upload_id for m in rest] == ids[3:]
    assert rest[0].object_key == f"cases/c1/raw/{ids[3]}.png"
    assert store.new_uploads(rest[-1].marker, limit=10) == []


def test_local_store_refuses_keys_outside_its_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        LocalDocumentStore(tmp_path).put("../escape.txt", b"x")


def test_stat_gives_size_and_metadata_without_the_body(store: DocumentStore) -> None:
    store.put("cases/c1/raw/b.png", b"12345", {"original-filename": "Hóa đơn.png"})
    info = store.stat("cases/c1/raw/b.png")
    assert (info.size, info.metadata["original-filename"]) == (5, "Hóa đơn.png")
    with pytest.raises(FileNotFoundError):
        store.stat("cases/c1/raw/none.png")
