"""The uploads sensor against a persistent Dagster instance: registration that loses nothing, batches."""

import dataclasses
import json
import sys
import time

import pytest
from dagster import DagsterInstance, DagsterRunStatus, SensorResult, build_sensor_context
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from dagster._core.test_utils import create_run_for_test
from sqlalchemy.exc import OperationalError

from ella_dagster.config import Settings
from ella_dagster.db.models import RawImage
from ella_dagster.pipeline.intake import seed_demo, upload_files
from ella_dagster.resources import DatabaseResource, LocalDocumentStoreResource
from ella_dagster.sensors import build_uploads_sensor, uploads
from ella_dagster.store import new_upload_id
from ella_dagster.store.base import marker_key

# The sensor is built from a settings object; a test tunes it with the `settings` fixture.
SENSOR_SETTINGS = {"settings": Settings.from_env({})}


def tick(instance: DagsterInstance, db, store, cursor: str | None = None) -> SensorResult:
    resources = {
        "db": DatabaseResource(url=db.url),
        "store": LocalDocumentStoreResource(root=str(store.root)),
    }
    sensor = build_uploads_sensor(SENSOR_SETTINGS["settings"])
    result = sensor(build_sensor_context(instance=instance, cursor=cursor, resources=resources))
    assert isinstance(result, SensorResult)
    for request in result.dynamic_partitions_requests:  # what the daemon does with the result
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def ranges(result: SensorResult) -> list[tuple[str, str, str]]:
    return [
        (r.tags[ASSET_PARTITION_RANGE_START_TAG], r.tags[ASSET_PARTITION_RANGE_END_TAG], r.tags["ella/batch_size"])
        for r in result.run_requests
    ]


@pytest.fixture
def settings(monkeypatch):
    def set_(**changes):
        monkeypatch.setitem(SENSOR_SETTINGS, "settings", dataclasses.replace(SENSOR_SETTINGS["settings"], **changes))

    return set_


def test_new_uploads_become_partitions_and_one_batch_run(instance, sqlite_db, local_store, generated) -> None:
    case = seed_demo(sqlite_db)
    outcomes = upload_files(
        sqlite_db,
        local_store,
        case,
        [("w2.png", generated["w2"].data), ("ssn.png", generated["ssn_card"].data)],
    )
    ids = [o.upload_id for o in outcomes]

    first = tick(instance, sqlite_db, local_store)
    assert ranges(first) == [(ids[0], ids[1], "2")]  # a free run slot: the partial batch goes at once
    assert first.run_requests[0].run_key.startswith("batch-")
    assert instance.get_dynamic_partitions("documents") == ids
    with sqlite_db.transaction() as s:
        rows = [s.get(RawImage, i) for i in ids]
        assert [(r.status, r.original_filename, r.mime_type) for r in rows] == [
            ("UPLOADED", "w2.png", "image/png"),
            ("UPLOADED", "ssn.png", "image/png"),
        ]

    # Nothing new: nothing to do, and the cursor holds.
    again = tick(instance, sqlite_db, local_store, first.cursor)
    assert again.run_requests == [] and again.skip_reason

    # The cursor survives: a later tick sees only the later upload.
    [later] = upload_files(sqlite_db, local_store, case, [("dl.png", generated["driver_license"].data)])
    third = tick(instance, sqlite_db, local_store, first.cursor)
    assert ranges(third) == [(later.upload_id, later.upload_id, "1")]


def test_a_tick_evaluated_twice_requests_the_same_runs(instance, sqlite_db, local_store, generated) -> None:
    case = seed_demo(sqlite_db)
    upload_files(sqlite_db, local_store, case, [(f"w2_{i}.png", generated["w2"].data) for i in range(3)])
    first = tick(instance, sqlite_db, local_store)
    replay = tick(instance, sqlite_db, local_store)  # the daemon died before it committed the cursor
    assert [r.run_key for r in replay.run_requests] == [r.run_key for r in first.run_requests]
    assert len(instance.get_dynamic_partitions("documents")) == 3


def test_full_batches_go_and_the_rest_waits_while_runs_are_busy(
    instance, sqlite_db, local_store, generated, settings
) -> None:
    settings(batch_size=4, batch_max_wait_seconds=3600)
    for _ in range(uploads.run_slots(instance)):  # every run slot taken
        create_run_for_test(instance, job_name="process_documents", status=DagsterRunStatus.STARTED)
    case = seed_demo(sqlite_db)
    outcomes = upload_files(sqlite_db, local_store, case, [(f"w2_{i}.png", generated["w2"].data) for i in range(6)])
    ids = [o.upload_id for o in outcomes]
    first = tick(instance, sqlite_db, local_store)
    assert ranges(first) == [(ids[0], ids[3], "4")]
    assert json.loads(first.cursor)["pending"] == ids[4:]
    assert tick(instance, sqlite_db, local_store, first.cursor).run_requests == []

    settings(batch_size=4, batch_max_wait_seconds=0)  # waited long enough: the partial batch goes
    assert ranges(tick(instance, sqlite_db, local_store, first.cursor)) == [(ids[4], ids[5], "2")]


def test_work_per_tick_is_capped(instance, sqlite_db, local_store, generated, settings) -> None:
    settings(sensor_max_per_tick=2, batch_size=2)
    case = seed_demo(sqlite_db)
    upload_files(sqlite_db, local_store, case, [(f"w2_{i}.png", generated["w2"].data) for i in range(5)])
    first = tick(instance, sqlite_db, local_store)
    second = tick(instance, sqlite_db, local_store, first.cursor)
    third = tick(instance, sqlite_db, local_store, second.cursor)
    assert len(instance.get_dynamic_partitions("documents")) == 5
    assert [[b[2] for b in ranges(r)] for r in (first, second, third)] == [["2"], ["2"], ["1"]]


def test_a_registration_that_fails_is_retried_and_never_passed(
    instance, sqlite_db, local_store, generated, monkeypatch
) -> None:
    """The defect: a 'database is locked' while registering was logged, and the cursor moved past."""
    case = seed_demo(sqlite_db)
    outcomes = upload_files(sqlite_db, local_store, case, [(f"w2_{i}.png", generated["w2"].data) for i in range(3)])
    ids = [o.upload_id for o in outcomes]
    real_one, real_many = uploads.register_upload, uploads.register_uploads

    def locked(marker_ids: list[str]) -> None:
        if ids[1] in marker_ids:
            raise OperationalError("INSERT INTO raw_images", {}, Exception("database is locked"))

    monkeypatch.setattr(uploads, "register_upload", lambda db, st, m: locked([m.upload_id]) or real_one(db, st, m))
    monkeypatch.setattr(
        uploads, "register_uploads", lambda db, st, ms: locked([m.upload_id for m in ms]) or real_many(db, st, ms)
    )
    first = tick(instance, sqlite_db, local_store)
    assert ranges(first) == [(ids[0], ids[0], "1")]
    assert json.loads(first.cursor)["journal"].endswith(ids[0])  # not past the one that failed

    monkeypatch.setattr(uploads, "register_upload", real_one)  # the lock is gone
    monkeypatch.setattr(uploads, "register_uploads", real_many)
    second = tick(instance, sqlite_db, local_store, first.cursor)
    assert ranges(second) == [(ids[1], ids[2], "2")]
    with sqlite_db.transaction() as s:
        assert all(s.get(RawImage, i) is not None for i in ids)


def test_a_journal_that_cannot_be_read_pauses_the_tick_without_failing_it(
    instance, sqlite_db, local_store, generated, monkeypatch
) -> None:
    """The soak's finding: an S3 500 while listing the journal failed the whole tick. Now the tick
    passes nothing, keeps its cursor, and the next one registers everything."""
    from botocore.exceptions import ClientError

    from ella_dagster.store import LocalDocumentStore

    case = seed_demo(sqlite_db)
    ids = [o.upload_id for o in upload_files(sqlite_db, local_store, case, [("w2.png", generated["w2"].data)])]
    real = LocalDocumentStore.list_markers

    def down(self, *args, **kwargs):
        raise ClientError({"Error": {"Code": "InternalError"}, "ResponseMetadata": {"HTTPStatusCode": 500}}, "List")

    monkeypatch.setattr(LocalDocumentStore, "list_markers", down)
    first = tick(instance, sqlite_db, local_store)
    assert first.run_requests == [] and json.loads(first.cursor)["journal"] is None
    assert "paused: ClientError" in first.skip_reason.skip_message

    monkeypatch.setattr(LocalDocumentStore, "list_markers", real)
    second = tick(instance, sqlite_db, local_store, first.cursor)
    assert ranges(second) == [(ids[0], ids[0], "1")]


def test_a_marker_that_becomes_visible_late_is_still_registered(instance, sqlite_db, local_store, generated) -> None:
    """The defect: an upload whose write took 12 s was overtaken by a later one and never registered."""
    case = seed_demo(sqlite_db)
    [early] = upload_files(sqlite_db, local_store, case, [("early.png", generated["w2"].data)])
    first = tick(instance, sqlite_db, local_store)

    # A slow upload: its marker's name is from 12 s ago (before the cursor), it appears only now.
    slow_id = new_upload_id(time.time() - 20)
    key = f"cases/{case}/raw/{slow_id}.png"
    local_store.put(key, generated["ssn_card"].data, {"case-id": case, "original-filename": "slow.png"})
    marker = marker_key(slow_id, written=time.time() - 12)
    assert marker < json.loads(first.cursor)["journal"]
    local_store.put(marker, key.encode())

    second = tick(instance, sqlite_db, local_store, first.cursor)
    assert ranges(second) == [(slow_id, slow_id, "1")]
    assert instance.get_dynamic_partitions("documents") == [early.upload_id, slow_id]
    # Seen once: the next tick does not register or launch it again.
    assert tick(instance, sqlite_db, local_store, second.cursor).run_requests == []


def test_the_object_is_written_before_its_marker(sqlite_db, local_store, generated, monkeypatch) -> None:
    case = seed_demo(sqlite_db)
    order: list[str] = []
    put = local_store.put
    monkeypatch.setattr(
        local_store, "put", lambda key, data, metadata=None: (order.append(key), put(key, data, metadata))
    )
    upload_files(sqlite_db, local_store, case, [("w2.png", generated["w2"].data)])
    assert [k.split("/")[0] for k in order] == ["cases", "_uploads"]


def test_a_vanished_upload_is_still_registered_and_run(instance, sqlite_db, local_store, generated) -> None:
    case = seed_demo(sqlite_db)
    gone, good = upload_files(
        sqlite_db, local_store, case, [("a.png", generated["w2"].data), ("b.png", generated["w2"].data)]
    )
    local_store.delete(gone.key)  # journalled, but the object is gone: its run will fail it visibly
    result = tick(instance, sqlite_db, local_store)
    assert ranges(result) == [(gone.upload_id, good.upload_id, "2")]
    with sqlite_db.transaction() as s:
        assert s.get(RawImage, gone.upload_id).status == "UPLOADED"


def test_an_upload_for_an_unknown_case_does_not_stop_the_others(instance, sqlite_db, local_store, generated) -> None:
    case = seed_demo(sqlite_db)
    local_store.put("cases/nobody/raw/0000000000000000abcd.png", generated["w2"].data, {"case-id": "nobody"})
    local_store.record_upload(new_upload_id(), "cases/nobody/raw/0000000000000000abcd.png")
    [good] = upload_files(sqlite_db, local_store, case, [("b.png", generated["w2"].data)])
    result = tick(instance, sqlite_db, local_store)
    assert ranges(result) == [(good.upload_id, good.upload_id, "1")]
    assert json.loads(result.cursor)["journal"].endswith(good.upload_id)


@pytest.mark.parametrize(("configured", "slots"), [(None, 10), (3, 3), (-1, sys.maxsize)])  # None: Dagster's default
def test_run_slots_come_from_the_instance_run_queue(tmp_path, configured, slots) -> None:
    """The sensor sends a partial batch while a run slot is free: the number of slots is the instance's
    (dagster.yaml, or ELLA_MAX_CONCURRENT_RUNS written there by `ella init`), not a constant."""
    from dagster._core.test_utils import instance_for_test

    overrides = {"concurrency": {"runs": {"max_concurrent_runs": configured}}} if configured is not None else {}
    overrides["run_coordinator"] = {
        "module": "dagster._core.run_coordinator",
        "class": "QueuedRunCoordinator",
    }
    with instance_for_test(temp_dir=str(tmp_path), overrides=overrides) as inst:
        assert uploads.run_slots(inst) == slots
