"""Documents left unfinished with no live run are re-driven; a document that keeps dying is failed."""

import datetime as dt

from dagster import DagsterRunStatus, SensorResult, SkipReason, build_sensor_context
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from dagster._core.test_utils import create_run_for_test

from ella_dagster.config import Settings
from ella_dagster.db.models import Action, RawImage, utcnow
from ella_dagster.pipeline.intake import seed_demo
from ella_dagster.resources import DatabaseResource
from ella_dagster.sensors import build_stuck_sensor
from tests.support.rows import raw_image


def batch_tags(start: str, end: str) -> dict[str, str]:
    return {ASSET_PARTITION_RANGE_START_TAG: start, ASSET_PARTITION_RANGE_END_TAG: end}


def add_document(db, doc_id: str, *, minutes_ago: float, status: str = "PROCESSING") -> None:
    with db.transaction() as s:
        s.add(raw_image(doc_id, status=status, updated_at=utcnow() - dt.timedelta(minutes=minutes_ago)))


def tick(instance, db, stuck_after_minutes: float = 15.0):
    sensor = build_stuck_sensor(Settings.from_env({"ELLA_STUCK_AFTER_MINUTES": str(stuck_after_minutes)}))
    return sensor(build_sensor_context(instance=instance, resources={"db": DatabaseResource(url=db.url)}))


def test_stuck_document_without_a_live_run_is_redriven(instance, sqlite_db) -> None:
    seed_demo(sqlite_db)
    add_document(sqlite_db, "stuck", minutes_ago=60)
    add_document(sqlite_db, "busy", minutes_ago=1)  # recently touched: a run is working on it
    create_run_for_test(  # its batch run died
        instance, job_name="process_documents", status=DagsterRunStatus.FAILURE, tags=batch_tags("a", "z")
    )
    result = tick(instance, sqlite_db)
    assert isinstance(result, SensorResult)
    [request] = result.run_requests
    assert (request.partition_key, request.run_key) == ("stuck", "redrive-stuck-0")
    assert request.tags["ella/document"] == "stuck"
    assert list(result.dynamic_partitions_requests[0].partition_keys) == ["stuck"]


def test_a_live_run_means_not_stuck(instance, sqlite_db) -> None:
    seed_demo(sqlite_db)
    add_document(sqlite_db, "slow", minutes_ago=60)
    create_run_for_test(
        instance, job_name="process_documents", status=DagsterRunStatus.STARTED, tags={"dagster/partition": "slow"}
    )
    assert isinstance(tick(instance, sqlite_db), SkipReason)


def test_a_live_batch_around_the_document_means_not_stuck(instance, sqlite_db) -> None:
    seed_demo(sqlite_db)
    add_document(sqlite_db, "m-queued", minutes_ago=60)
    create_run_for_test(
        instance, job_name="process_documents", status=DagsterRunStatus.STARTING, tags=batch_tags("a", "n")
    )
    assert isinstance(tick(instance, sqlite_db), SkipReason)
    add_document(sqlite_db, "x-outside", minutes_ago=60)  # after the batch's range: re-driven
    assert [r.partition_key for r in tick(instance, sqlite_db).run_requests] == ["x-outside"]


def test_after_three_runs_the_document_is_failed_with_an_action(instance, sqlite_db) -> None:
    seed_demo(sqlite_db)
    add_document(sqlite_db, "doomed", minutes_ago=60)
    for _ in range(3):
        create_run_for_test(
            instance,
            job_name="process_documents",
            status=DagsterRunStatus.FAILURE,
            tags={"dagster/partition": "doomed", "ella/document": "doomed"},
        )
    assert isinstance(tick(instance, sqlite_db), SkipReason)
    with sqlite_db.transaction() as s:
        raw = s.get(RawImage, "doomed")
        assert raw.status == "FAILED" and raw.processed_at is not None and "stuck" in raw.error_message
        assert [a.type for a in s.query(Action).filter_by(raw_image_id="doomed")] == ["AI_FAILED"]


def test_a_run_whose_process_died_is_failed_and_its_documents_redriven(instance, sqlite_db) -> None:
    """The daemon's default launcher cannot check a run's process: a STARTED run whose worker was killed
    would hold its run slot for ever. One that wrote nothing for ELLA_STUCK_AFTER_MINUTES is failed."""
    import time

    seed_demo(sqlite_db)
    add_document(sqlite_db, "m-orphaned", minutes_ago=60)
    add_document(sqlite_db, "t-talking", minutes_ago=60)
    dead = create_run_for_test(
        instance, job_name="process_documents", status=DagsterRunStatus.STARTED, tags=batch_tags("a", "n")
    )
    talking = create_run_for_test(
        instance, job_name="process_documents", status=DagsterRunStatus.STARTED, tags=batch_tags("o", "z")
    )
    time.sleep(2.5)
    instance.report_engine_event("still working", talking)  # a live run writes events
    result = tick(instance, sqlite_db, stuck_after_minutes=2 / 60)  # silent for 2 s is stuck here
    assert instance.get_run_by_id(dead.run_id).status == DagsterRunStatus.FAILURE
    assert instance.get_run_by_id(talking.run_id).status == DagsterRunStatus.STARTED
    assert [r.partition_key for r in result.run_requests] == ["m-orphaned"]  # the other is still covered
    # Re-driven one by one here: run_retries must not also re-execute the whole dead batch.
    assert instance.get_run_by_id(dead.run_id).tags["dagster/will_retry"] == "false"


def test_a_batch_range_is_read_in_partition_order_not_id_order(instance, sqlite_db) -> None:
    """A slow upload is registered after a later one: partitions b, a, c (ids a < b < c). A live batch
    from b to c covers a; compared by id it did not, and a was re-driven beside its queued batch."""
    seed_demo(sqlite_db)
    for doc_id in ("b-second", "a-first", "c-third", "d-fourth"):
        add_document(sqlite_db, doc_id, minutes_ago=60)
    instance.add_dynamic_partitions("documents", ["b-second", "a-first", "c-third", "d-fourth"])
    create_run_for_test(
        instance, job_name="process_documents", status=DagsterRunStatus.STARTING, tags=batch_tags("b-second", "c-third")
    )
    assert [r.partition_key for r in tick(instance, sqlite_db).run_requests] == ["d-fourth"]
