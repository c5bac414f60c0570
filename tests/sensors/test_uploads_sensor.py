"""The uploads sensor against a persistent Dagster instance."""

from dagster import DagsterInstance, SensorResult, SkipReason, build_sensor_context

from ella_dagster.db.models import RawImage
from ella_dagster.pipeline.intake import upload_files
from ella_dagster.resources import DatabaseResource, LocalDocumentStoreResource
from ella_dagster.sensors import new_uploads_sensor
from ella_dagster.store import new_upload_id


def tick(instance: DagsterInstance, db, store, cursor: str | None = None):
    resources = {
        "db": DatabaseResource(url=db.url),
        "store": LocalDocumentStoreResource(root=str(store.root)),
    }
    result = new_uploads_sensor(build_sensor_context(instance=instance, cursor=cursor, resources=resources))
    if isinstance(result, SensorResult):
        for request in result.dynamic_partitions_requests:  # what the daemon does with the result
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def test_new_uploads_become_partitions_and_runs(instance, sqlite_db, local_store, generated) -> None:
    from ella_dagster.pipeline.intake import seed_demo

    case = seed_demo(sqlite_db)
    outcomes = upload_files(
        sqlite_db,
        local_store,
        case,
        [("w2.png", generated["w2"].data), ("ssn.png", generated["ssn_card"].data)],
    )
    ids = [o.upload_id for o in outcomes]

    first = tick(instance, sqlite_db, local_store)
    assert isinstance(first, SensorResult)
    assert [r.partition_key for r in first.run_requests] == ids
    assert [r.run_key for r in first.run_requests] == [f"document-{i}" for i in ids]
    assert sorted(instance.get_dynamic_partitions("documents")) == sorted(ids)
    with sqlite_db.transaction() as s:
        rows = [s.get(RawImage, i) for i in ids]
        assert [(r.status, r.original_filename, r.mime_type) for r in rows] == [
            ("UPLOADED", "w2.png", "image/png"),
            ("UPLOADED", "ssn.png", "image/png"),
        ]

    # Nothing new: nothing to do, and the cursor holds.
    assert isinstance(tick(instance, sqlite_db, local_store, first.cursor), SkipReason)

    # The cursor survives: a later tick sees only the later upload.
    [later] = upload_files(sqlite_db, local_store, case, [("dl.png", generated["driver_license"].data)])
    third = tick(instance, sqlite_db, local_store, first.cursor)
    assert [r.partition_key for r in third.run_requests] == [later.upload_id]


def test_work_per_tick_is_capped(instance, sqlite_db, local_store, generated, monkeypatch) -> None:
    from ella_dagster.pipeline.intake import seed_demo
    from ella_dagster.sensors import uploads

    monkeypatch.setattr(
        uploads,
        "_settings",
        uploads._settings.__class__(**{**uploads._settings.__dict__, "sensor_max_per_tick": 2}),
    )
    case = seed_demo(sqlite_db)
    upload_files(sqlite_db, local_store, case, [(f"w2_{i}.png", generated["w2"].data) for i in range(5)])
    first = tick(instance, sqlite_db, local_store)
    second = tick(instance, sqlite_db, local_store, first.cursor)
    third = tick(instance, sqlite_db, local_store, second.cursor)
    assert [len(r.run_requests) for r in (first, second, third)] == [2, 2, 1]


def test_a_vanished_upload_is_still_registered_and_run(instance, sqlite_db, local_store, generated) -> None:
    from ella_dagster.pipeline.intake import seed_demo

    case = seed_demo(sqlite_db)
    gone, good = upload_files(
        sqlite_db, local_store, case, [("a.png", generated["w2"].data), ("b.png", generated["w2"].data)]
    )
    local_store.delete(gone.key)  # journalled, but the object is gone: its run will fail it visibly
    result = tick(instance, sqlite_db, local_store)
    assert [r.partition_key for r in result.run_requests] == [gone.upload_id, good.upload_id]
    with sqlite_db.transaction() as s:
        assert s.get(RawImage, gone.upload_id).status == "UPLOADED"


def test_an_upload_for_an_unknown_case_does_not_stop_the_others(instance, sqlite_db, local_store, generated) -> None:
    from ella_dagster.pipeline.intake import seed_demo

    case = seed_demo(sqlite_db)
    local_store.put("cases/nobody/raw/0000000000000000abcd.png", generated["w2"].data, {"case-id": "nobody"})
    local_store.record_upload(new_upload_id(), "cases/nobody/raw/0000000000000000abcd.png")
    [good] = upload_files(sqlite_db, local_store, case, [("b.png", generated["w2"].data)])
    result = tick(instance, sqlite_db, local_store)
    assert [r.partition_key for r in result.run_requests] == [good.upload_id]
    assert result.cursor.endswith(good.upload_id)
