"""Batches and staff workflows against a running `dagster dev` (webserver + daemon): uploads processed
in batch runs with per-document partition status, a failed partition re-run with `ella rerun-failed`,
and a reclassification after an engine version bump with `ella reclassify`, as ranged runs."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from dagster import AssetKey, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.execution.backfill import BulkActionsFilter, BulkActionStatus
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG as RANGE_END
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_START_TAG as RANGE_START
from sqlalchemy import select

from ella_dagster import samples
from ella_dagster.config import PROJECT_ROOT
from ella_dagster.db.models import Action, ClassificationResult, RawImage
from ella_dagster.db.session import Database
from ella_dagster.pipeline.intake import upload_files
from ella_dagster.store import LocalDocumentStore
from tests.support.pipeline import snapshot

pytestmark = [pytest.mark.daemon, pytest.mark.slow]

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def dagster_dev(env: dict[str, str], workspace: Path = PROJECT_ROOT / "workspace.yaml") -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "dagster"), "dev", "-w", str(workspace), "-h", "127.0.0.1", "-p", str(port)],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{url}/server_info", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None, "dagster dev exited"
            assert time.monotonic() < deadline, "dagster dev did not start"
            time.sleep(1)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def wait_processed(db: Database, count: int, timeout: float = 420) -> list[RawImage]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.transaction() as s:
            rows = list(s.scalars(select(RawImage).order_by(RawImage.id)))
        if len(rows) == count and all(r.processed_at for r in rows):
            return rows
        time.sleep(1)
    raise AssertionError(f"documents not processed in time: {[(r.id, r.status) for r in rows]}")


def ella(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ella"), *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600
    )


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "ELLA_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_HOME": str(tmp_path / "home"),
        "ELLA_SENSOR_INTERVAL_SECONDS": "1",
        "COLUMNS": "200",
        **extra,
    }


FLAKY_LOCATION = """
load_from:
  - python_module:
      module_name: tests.support.flaky_location
      location_name: ella_dagster
      working_directory: {root}
"""
STAGES = ["document_hash", "classification", "routing", "renamed_key", "ocr_extract", "digital_doc"]


def partition_status(instance: DagsterInstance, ids: list[str]) -> dict[str, Counter]:
    """What the UI's partition view shows: per asset, how many documents are materialised / failed."""
    from ella_dagster.assets import documents_partitions

    return {
        stage: Counter(
            s.value for s in instance.get_status_by_partition(AssetKey(stage), ids, documents_partitions).values()
        )
        for stage in STAGES
    }


def document_runs(instance: DagsterInstance) -> list:
    """Runs over documents, oldest first: the sensor's batches and the backfills' ranged runs."""
    runs = instance.get_runs(RunsFilter())
    return [r for r in reversed(runs) if r.job_name in ("process_documents", "__ASSET_JOB")]


def test_batches_rerun_failed_and_reclassify_through_the_daemon(tmp_path: Path, generated) -> None:
    """30 uploads in batches of 10: the first batch holds a corrupt file and one whose classification times
    out once. Then the corrupt one is fixed and re-run with `ella rerun-failed`, and all 30 are reclassified
    after an engine bump, as ranged runs."""
    env = environment(tmp_path, ELLA_BATCH_SIZE="10", PYTHONPATH=str(PROJECT_ROOT))
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(FLAKY_LOCATION.format(root=PROJECT_ROOT))
    assert ella(env, "init").returncode == 0 and ella(env, "seed-demo").returncode == 0
    db, store = Database(f"sqlite:///{tmp_path / 'data' / 'ella.db'}"), LocalDocumentStore(tmp_path / "data" / "store")
    rng = random.Random(7)
    files = [("corrupt.png", generated["corrupt"].data), ("flaky.png", generated["w2"].data + b"FLAKY")]
    files += [(f"doc{i}.png", samples.GENERATORS[i % 4](rng, 2024).data) for i in range(28)]
    outcomes = upload_files(db, store, "case_demo", files[:20]) + upload_files(db, store, "case_demo", files[20:])
    ids = [o.upload_id for o in outcomes]
    corrupt, flaky = ids[0], ids[1]
    instance = instance_at(tmp_path / "home")

    with dagster_dev(env, workspace) as url:
        first = {r.id: r for r in wait_processed(db, 30)}
        wait_for_runs(instance)
        runs = document_runs(instance)
        # One run per batch of ten consecutive documents, each a range of the documents partitions.
        assert [(r.tags[RANGE_START], r.tags[RANGE_END]) for r in runs] == [(ids[i], ids[i + 9]) for i in (0, 10, 20)]
        assert [r.status for r in runs] == [
            DagsterRunStatus.FAILURE,
            DagsterRunStatus.SUCCESS,
            DagsterRunStatus.SUCCESS,
        ]
        # The partition view: 29 documents materialised at every stage, the corrupt one failed.
        assert partition_status(instance, ids) == {stage: Counter(MATERIALIZED=29, FAILED=1) for stage in STAGES}
        assert first[corrupt].status == "FAILED" and "corrupt" in first[corrupt].error_message
        assert (
            first[flaky].status == "LINKED" and json.loads((tmp_path / "data" / "flaky_attempts.json").read_text()) == 2
        )
        attempts = {
            e.asset_materialization.partition: e.asset_materialization.metadata["attempts"].value
            for e in instance.fetch_materializations(AssetKey("classification"), limit=100).records
            for e in [e.event_log_entry]
        }
        assert attempts[flaky] == 2 and {attempts[i] for i in ids[2:]} == {1}  # retried alone, in its batch
        failure = next(
            e for e in instance.all_logs(runs[0].run_id) if e.dagster_event and e.dagster_event.is_step_failure
        )
        assert (
            f"1 of 10 documents failed: {corrupt} at document_hash"
            in failure.dagster_event.step_failure_data.error.message
        )

        # Staff fix the file and re-run what failed: only the corrupt document runs again.
        store.put(
            first[corrupt].storage_key,
            generated["1099nec"].data,
            {"case-id": "case_demo", "original-filename": "nec.png", "mime-type": "image/png"},
        )
        result = ella(env, "rerun-failed", "--url", url)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "backfill" in result.stdout and "/runs/b/" in result.stdout and "COMPLETED" in result.stdout
        assert "?tab=" not in result.stdout  # the backfill page opens on its partitions table
        outcome = next(line for line in result.stdout.splitlines() if corrupt in line)
        assert "nec.png" in outcome and "LINKED" in outcome  # each document's outcome is printed
        wait_for_runs(instance)
        assert partition_status(instance, ids) == {stage: Counter(MATERIALIZED=30) for stage in STAGES}

    with db.transaction() as s:
        raw = s.get(RawImage, corrupt)
        assert (raw.status, raw.classified_type, raw.original_filename, raw.error_message) == (
            "LINKED",
            "FORM_1099_NEC",
            "nec.png",
            None,
        )
        actions = s.scalars(select(Action).where(Action.raw_image_id == corrupt)).all()
        assert [(a.type, a.is_completed) for a in actions] == [("AI_FAILED", True)]  # resolved, not deleted
        untouched = {r.id: r.processed_at for r in s.scalars(select(RawImage).where(RawImage.id != corrupt))}
    assert untouched == {i: first[i].processed_at for i in ids if i != corrupt}
    before = snapshot(db)

    # An engine bump: reclassify all 30 as ranged runs of a batch each; the rows come back identical
    # but for the new classification history row (same answers, new engine version).
    bumped = environment(tmp_path, ELLA_BATCH_SIZE="10", ELLA_ENGINE_REVISION="r2", PYTHONPATH=str(PROJECT_ROOT))
    with dagster_dev(bumped, workspace) as url:
        dry = ella(bumped, "reclassify", "--dry-run")
        assert "30 documents selected" in dry.stdout and "first 20 of 30" in dry.stdout
        assert ids[0] in dry.stdout and "doc0.png" in dry.stdout  # a table: document, file, case, type, ...
        done_before = len(document_runs(instance))
        result = ella(bumped, "reclassify", "--url", url)
        assert result.returncode == 0, result.stdout + result.stderr
        wait_for_runs(instance)
        backfill_runs = document_runs(instance)[done_before:]
    assert len(backfill_runs) == 3 and all(RANGE_START in r.tags for r in backfill_runs)
    assert {r.tags.get("ella/command") for r in backfill_runs} == {"reclassify"}
    assert {r.job_name for r in backfill_runs} == {"process_documents"}  # named, not __ASSET_JOB
    assert {r.status for r in backfill_runs} == {DagsterRunStatus.SUCCESS}
    with db.transaction() as s:
        versions = Counter(h.engine_version.endswith("+r2") for h in s.scalars(select(ClassificationResult)))
    assert versions[True] == 30
    after = snapshot(db)
    assert after["history"] == before["history"] + 30
    assert {**after, "history": 0} == {**before, "history": 0}  # re-running every batch leaves identical rows


def wait_for_runs(instance: DagsterInstance, timeout: float = 300) -> None:
    from ella_dagster.daemon import runs_in_flight

    deadline = time.monotonic() + timeout
    while runs_in_flight(instance) or instance.get_backfills_count(
        BulkActionsFilter(statuses=[BulkActionStatus.REQUESTED])
    ):
        assert time.monotonic() < deadline, "runs still in flight"
        time.sleep(1)


def instance_at(home: Path) -> DagsterInstance:
    from dagster._core.instance.ref import InstanceRef

    return DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
