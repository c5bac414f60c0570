"""Both stores behave alike: the local folder and an S3 bucket on a real S3-speaking server."""

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest

from ella_dagster.store import DocumentStore, LocalDocumentStore, S3DocumentStore, StoredObject, new_upload_id


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


def test_put_if_absent_writes_once_and_never_replaces(store: DocumentStore) -> None:
    store.put_if_absent("cases/c1/docs/a.png", b"first", {"case-id": "c1"})
    with pytest.raises(FileExistsError):
        store.put_if_absent("cases/c1/docs/a.png", b"second", {"case-id": "other"})
    got = store.get("cases/c1/docs/a.png")
    assert (got.data, got.metadata) == (b"first", {"case-id": "c1"})


def test_put_if_absent_from_many_threads_has_one_winner(tmp_path: Path) -> None:
    """The local store's own atomicity (a hard link from a temporary file). On S3 the server decides;
    moto checks `If-None-Match` before it writes, not atomically, so racing it would test moto."""
    store = LocalDocumentStore(tmp_path)
    for round_ in range(20):
        key = f"cases/c1/docs/race{round_}.png"
        barrier = threading.Barrier(6)

        def write(n: int, key: str = key, barrier: threading.Barrier = barrier) -> int | None:
            barrier.wait()
            try:
                store.put_if_absent(key, f"writer {n} ".encode() * 1000)
            except FileExistsError:
                return None
            return n

        with ThreadPoolExecutor(6) as pool:
            winners = [n for n in pool.map(write, range(6)) if n is not None]
        assert len(winners) == 1
        assert store.get(key).data == f"writer {winners[0]} ".encode() * 1000


def test_copy_if_absent_copies_verified_bytes_and_metadata(store: DocumentStore) -> None:
    store.put("cases/c1/raw/a.png", b"upload", {"original-filename": "Giấy tờ.png"})
    digest = store.copy_if_absent("cases/c1/raw/a.png", "cases/c1/docs/a.png")
    assert digest == hashlib.sha256(b"upload").hexdigest()
    got = store.get("cases/c1/docs/a.png")
    assert (got.data, got.metadata) == (b"upload", {"original-filename": "Giấy tờ.png"})
    assert store.exists("cases/c1/raw/a.png")  # a copy: the source stays


def test_copy_if_absent_keeps_its_own_earlier_copy(store: DocumentStore) -> None:
    """A copy interrupted before the database recorded it is found again, not duplicated."""
    store.put("cases/c1/raw/a.png", b"upload")
    store.put("cases/c1/docs/a.png", b"upload")
    assert store.copy_if_absent("cases/c1/raw/a.png", "cases/c1/docs/a.png") == hashlib.sha256(b"upload").hexdigest()


def test_copy_if_absent_never_touches_another_object(store: DocumentStore) -> None:
    store.put("cases/c1/raw/a.png", b"mine")
    store.put("cases/c1/docs/a.png", b"someone else's", {"case-id": "c1"})
    with pytest.raises(FileExistsError):
        store.copy_if_absent("cases/c1/raw/a.png", "cases/c1/docs/a.png")
    assert store.get("cases/c1/docs/a.png") == StoredObject(b"someone else's", {"case-id": "c1"})
    with pytest.raises(FileNotFoundError):
        store.copy_if_absent("cases/c1/raw/none.png", "cases/c1/docs/b.png")
    assert not store.exists("cases/c1/docs/b.png")


def test_move_onto_another_object_fails_and_keeps_both(store: DocumentStore) -> None:
    store.put("cases/c1/raw/a.png", b"mine")
    store.put("cases/c1/docs/a.png", b"theirs")
    with pytest.raises(FileExistsError):
        store.move("cases/c1/raw/a.png", "cases/c1/docs/a.png")
    assert store.get("cases/c1/raw/a.png").data == b"mine"
    assert store.get("cases/c1/docs/a.png").data == b"theirs"


def test_move_never_deletes_a_source_whose_copy_is_not_verified(store: DocumentStore) -> None:
    store.put("cases/c1/raw/a.png", b"mine")
    real_get = store.get

    def get_lost(key: str) -> StoredObject:  # the copy vanishes before it could be re-read
        if key.startswith("cases/c1/docs/"):
            raise FileNotFoundError(key)
        return real_get(key)

    store.get = get_lost  # type: ignore[method-assign]
    with pytest.raises(FileNotFoundError):
        store.move("cases/c1/raw/a.png", "cases/c1/docs/a.png")
    assert real_get("cases/c1/raw/a.png").data == b"mine"


def test_local_writes_leave_no_temporary_files_and_replace_metadata(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path)
    store.put("cases/c1/raw/a.png", b"one", {"case-id": "c1"})
    store.put("cases/c1/raw/a.png", b"two")  # a new object: its own (no) metadata, as on S3
    assert store.get("cases/c1/raw/a.png") == StoredObject(b"two", {})
    store.put_if_absent("cases/c1/docs/b.png", b"three", {"case-id": "c1"})
    store.copy("cases/c1/docs/b.png", "cases/c1/docs/c.png")
    assert store.get("cases/c1/docs/c.png") == StoredObject(b"three", {"case-id": "c1"})
    assert [p.name for p in tmp_path.rglob(".*")] == []


def test_local_concurrent_puts_of_one_key_never_mix_bytes(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path)
    payloads = [bytes([n]) * 200_000 for n in range(6)]
    barrier = threading.Barrier(6)

    def write(data: bytes) -> None:
        barrier.wait()
        for _ in range(5):
            store.put("cases/c1/raw/a.png", data)

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(write, payloads))
    assert store.get("cases/c1/raw/a.png").data in payloads
