"""Renames that cannot collide: two documents with the same name, renamed at the same time, on the
local store and on S3 (moto), on SQLite and PostgreSQL. Afterwards every document has its own key,
each object holds its own upload's bytes, and no raw object is gone whose copy is not in place."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest

from ella_dagster.db.models import RawImage
from ella_dagster.db.session import Database
from ella_dagster.pipeline import steps
from ella_dagster.pipeline.intake import register_upload, upload_files
from ella_dagster.store import DocumentStore, LocalDocumentStore, S3DocumentStore, StoredObject

pytestmark = [pytest.mark.slow]

PNG = b"\x89PNG\r\n\x1a\n"
ROUNDS = 8


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> DocumentStore:
    if request.param == "local":
        return LocalDocumentStore(tmp_path / "store")
    endpoint, bucket = request.getfixturevalue("s3_endpoint"), request.getfixturevalue("s3_bucket")
    return S3DocumentStore(boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1"), bucket)


def w2s_of_one_employer(
    db: Database, store: DocumentStore, case_id: str, employer: str, n: int = 2
) -> dict[str, bytes]:
    """`n` different W-2 uploads of the same employer and client, classified: they share one name."""
    files = [(f"w2_{i}.png", PNG + os.urandom(300_000)) for i in range(n)]
    outcomes = upload_files(db, store, case_id, files)
    for marker in store.new_uploads(None, 1000):
        register_upload(db, store, marker)
    uploads = {o.upload_id: data for o, (_, data) in zip(outcomes, files, strict=True)}
    with db.transaction() as s:
        for doc_id, data in uploads.items():
            raw = s.get(RawImage, doc_id)
            raw.status, raw.classified_type, raw.tax_year, raw.source = "CLASSIFIED", "W2", 2024, employer
            raw.sha256 = hashlib.sha256(data).hexdigest()
    return uploads


def rows(db: Database, doc_ids) -> list[RawImage]:
    with db.transaction() as s:
        return [s.get(RawImage, d) for d in doc_ids]


def assert_intact(db: Database, store: DocumentStore, uploads: dict[str, bytes]) -> list[RawImage]:
    found = rows(db, uploads)
    keys = [r.storage_key for r in found]
    assert len(set(keys)) == len(keys), f"documents share a key: {keys}"
    for raw in found:  # the object a row names is there and is that row's upload
        assert store.get(raw.storage_key).data == uploads[raw.id]
    return found


def at_once(calls: list[Callable[[], steps.StepResult]]) -> list[steps.StepResult]:
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], steps.StepResult]) -> steps.StepResult:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_documents_renamed_at_once_to_one_name_keep_their_own_bytes(
    database: Database, store: DocumentStore, case_id: str
) -> None:
    for round_ in range(ROUNDS):
        uploads = w2s_of_one_employer(database, store, case_id, f"Acme{round_}")
        results = at_once([lambda d=d: steps.rename_document(database, store, d) for d in uploads])
        assert [r.applied for r in results] == [True, True], [r.reason for r in results]
        found = assert_intact(database, store, uploads)
        names = sorted(r.storage_key.rsplit("/", 1)[-1] for r in found)
        assert names[0].endswith(f"_Acme{round_}_NguyenVanAn.png")  # one has the name ...
        assert names[1].startswith(names[0].removesuffix(".png") + "_")  # ... the other its id too
        for raw in found:
            assert raw.display_name == raw.storage_key.rsplit("/", 1)[-1]
            assert not store.exists(raw.original_key)  # moved: copied, verified, then deleted
        again = [steps.rename_document(database, store, d) for d in uploads]
        assert all(r.values.get("already_named") for r in again)
        assert [r.storage_key for r in rows(database, uploads)] == [r.storage_key for r in found]


def test_many_documents_with_one_name_at_once(database: Database, store: DocumentStore, case_id: str) -> None:
    uploads = w2s_of_one_employer(database, store, case_id, "Acme", n=4)
    results = at_once([lambda d=d: steps.rename_document(database, store, d) for d in uploads])
    assert all(r.applied for r in results), [r.reason for r in results]
    assert_intact(database, store, uploads)


def test_the_second_claimant_waits_for_the_first_and_takes_the_id_suffixed_name(
    database: Database, store: DocumentStore, case_id: str
) -> None:
    """The first rename holds its claim (row written, not committed) while its object is written; the
    second sees no committed owner, tries the same name, waits on the unique index, then moves on."""
    uploads = w2s_of_one_employer(database, store, case_id, "Acme")
    first, second = uploads
    inside, release = threading.Event(), threading.Event()
    real_put = store.put_if_absent

    def held_put(key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        if threading.current_thread().name == "first":
            inside.set()
            release.wait(10)
        real_put(key, data, metadata)

    store.put_if_absent = held_put  # type: ignore[method-assign]
    results: dict[str, steps.StepResult] = {}

    def rename(doc_id: str) -> None:
        results[doc_id] = steps.rename_document(database, store, doc_id)

    threads = [threading.Thread(target=rename, args=(d,), name=n) for d, n in ((first, "first"), (second, "second"))]
    threads[0].start()
    assert inside.wait(10), "the first rename never wrote its object"
    threads[1].start()
    time.sleep(0.5)  # the second is now waiting on the first's claim
    release.set()
    for thread in threads:
        thread.join(30)
    assert results[first].applied and results[second].applied
    assert "_" + second[-6:] + ".png" in results[second].values["key"]
    assert results[first].values["key"] == results[second].values["key"].replace("_" + second[-6:], "")
    assert_intact(database, store, uploads)


def test_the_same_document_renamed_by_two_runs_at_once(database: Database, store: DocumentStore, case_id: str) -> None:
    uploads = w2s_of_one_employer(database, store, case_id, "Acme", n=1)
    [doc] = uploads
    for _ in range(ROUNDS // 2):
        results = at_once([lambda: steps.rename_document(database, store, doc)] * 2)
        assert sum(bool(r.values.get("renamed")) for r in results) <= 1
        [raw] = assert_intact(database, store, uploads)
        assert "/docs/" in raw.storage_key
        with database.transaction() as s:  # back to its raw key for the next round
            s.get(RawImage, doc).storage_key = raw.original_key
        store.put(raw.original_key, uploads[doc])
        store.delete(raw.storage_key)


def test_an_object_nobody_owns_under_the_name_is_left_alone(
    database: Database, store: DocumentStore, case_id: str
) -> None:
    [doc] = w2s_of_one_employer(database, store, case_id, "Acme", n=1)
    [raw] = rows(database, [doc])
    source = store.get(raw.storage_key).data
    name = f"cases/{case_id}/docs/2024_W2_Acme_NguyenVanAn.png"
    store.put(name, PNG + b"not this document")
    result = steps.rename_document(database, store, doc)
    assert result.applied and result.values["key"] == name.replace(".png", f"_{doc[-6:]}.png")
    assert store.get(name).data == PNG + b"not this document"
    assert store.get(result.values["key"]).data == source


def test_a_copy_left_by_an_interrupted_rename_is_taken_up(
    database: Database, store: DocumentStore, case_id: str
) -> None:
    """The object was copied, then the transaction failed: the row kept its key, the source stayed,
    and the next attempt finds its own bytes under the name and finishes."""
    [doc] = w2s_of_one_employer(database, store, case_id, "Acme", n=1)
    [raw] = rows(database, [doc])
    data = store.get(raw.storage_key).data
    real_copy = store.copy_if_absent

    def copy_then_crash(source: str, target: str) -> str:
        real_copy(source, target)
        raise ConnectionError("lost the database")

    store.copy_if_absent = copy_then_crash  # type: ignore[method-assign]
    from ella_dagster.domain.errors import TransientDocumentError

    with pytest.raises(TransientDocumentError, match="ConnectionError, key kept for now"):  # retried
        steps.rename_document(database, store, doc)
    assert rows(database, [doc])[0].storage_key == raw.original_key
    assert store.get(raw.original_key).data == data
    store.copy_if_absent = real_copy  # type: ignore[method-assign]
    done = steps.rename_document(database, store, doc)
    assert done.applied and done.values["renamed"] and "_" + doc[-6:] not in done.values["key"]
    assert_intact(database, store, {doc: data})
    assert not store.exists(raw.original_key)


def test_a_failed_copy_keeps_the_key_and_frees_the_name(database: Database, store: DocumentStore, case_id: str) -> None:
    first, second = w2s_of_one_employer(database, store, case_id, "Acme")
    real_put = store.put_if_absent

    def refusing(key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        raise OSError("store unavailable")

    store.put_if_absent = refusing  # type: ignore[method-assign]
    from ella_dagster.domain.errors import TransientDocumentError

    with pytest.raises(TransientDocumentError, match="OSError, key kept for now"):  # the document's retries
        steps.rename_document(database, store, first)
    store.put_if_absent = real_put  # type: ignore[method-assign]
    [raw] = rows(database, [first])
    assert raw.storage_key == raw.original_key and store.exists(raw.original_key)
    other = steps.rename_document(database, store, second)
    assert other.applied and "_" + second[-6:] not in other.values["key"]  # the claim was rolled back


def test_bytes_that_are_not_the_upload_are_not_renamed(database: Database, store: DocumentStore, case_id: str) -> None:
    [doc] = w2s_of_one_employer(database, store, case_id, "Acme", n=1)
    [raw] = rows(database, [doc])
    store.put(raw.storage_key, PNG + b"overwritten")
    result = steps.rename_document(database, store, doc)
    assert (result.applied, result.reason) == (False, "rename failed, key kept: StoredBytesDiffer")
    assert rows(database, [doc])[0].storage_key == raw.original_key
    assert store.get(raw.original_key) == StoredObject(PNG + b"overwritten", store.get(raw.original_key).metadata)


def test_a_store_outage_during_a_rename_is_retried_not_kept_for_ever(
    database: Database, store: DocumentStore, case_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An S3 500 while copying used to end the stage as 'key kept': the document stayed on its raw key
    for good. Now the rename fails transiently (the document's retries run it again) and leaves the
    row and the objects as they were."""
    from botocore.exceptions import ClientError

    from ella_dagster.domain.errors import TransientDocumentError

    [doc_id] = w2s_of_one_employer(database, store, case_id, "Acme", n=1)
    [before] = rows(database, [doc_id])

    def outage(*args, **kwargs):
        raise ClientError({"Error": {"Code": "InternalError"}, "ResponseMetadata": {"HTTPStatusCode": 500}}, "Copy")

    monkeypatch.setattr(store, "copy_if_absent", outage)
    with pytest.raises(TransientDocumentError, match="key kept for now"):
        steps.rename_document(database, store, doc_id)
    [after] = rows(database, [doc_id])
    assert after.storage_key == before.storage_key == before.original_key and store.exists(before.original_key)
    monkeypatch.undo()
    assert steps.rename_document(database, store, doc_id).applied  # the retry renames it
