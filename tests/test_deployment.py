"""The real deployment: the `ella` CLI, workspace.yaml, dagster.yaml and a running dagster-daemon
(sensor on by default, queued runs) take uploads to terminal states with no help from the test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, DagsterRunStatus, RunsFilter
from sqlalchemy import select

from ella_dagster.assets import documents_partitions
from ella_dagster.config import PROJECT_ROOT
from ella_dagster.daemon import start_daemon, stop, wait_until_processed
from ella_dagster.db.models import Action, RawImage
from ella_dagster.db.session import Database

pytestmark = [pytest.mark.daemon, pytest.mark.slow]

BIN = Path(sys.executable).parent


def test_daemon_sensor_and_runs_process_uploads_end_to_end(tmp_path: Path, generated) -> None:
    env = {
        **os.environ,
        "ELLA_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_HOME": str(tmp_path / "home"),
        "ELLA_SENSOR_INTERVAL_SECONDS": "1",
    }
    cli = [str(BIN / "ella")]
    subprocess.run([*cli, "init"], env=env, check=True, cwd=PROJECT_ROOT)
    subprocess.run([*cli, "seed-demo"], env=env, check=True, cwd=PROJECT_ROOT)
    files = {"w2.png": generated["w2"].data, "scan.png": generated["corrupt"].data, "fake.pdf": b"not a pdf"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    upload = subprocess.run(
        [*cli, "upload", "--case", "case_demo", *(str(tmp_path / n) for n in files)],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert upload.returncode == 1  # one file was refused
    assert "fake.pdf: content does not match its PDF extension" in " ".join(upload.stdout.split())

    db = Database(f"sqlite:///{tmp_path / 'data' / 'ella.db'}")
    instance = _instance(tmp_path / "home")
    daemon = start_daemon(env)
    try:
        # Done when both documents are processed in the database *and* their runs have finished: the
        # run records its materialisations and checks after the last database write.
        assert wait_until_processed(db, instance, 2, timeout=300, daemon=daemon)
    finally:
        stop(daemon)
    with db.transaction() as s:
        rows = list(s.scalars(select(RawImage).order_by(RawImage.id)))
    w2, scan = rows
    assert (w2.status, w2.classified_type, w2.route) == ("LINKED", "W2", "auto-linked")
    assert scan.status == "FAILED"
    with db.transaction() as s:
        assert [a.type for a in s.scalars(select(Action).where(Action.raw_image_id == scan.id))] == ["AI_FAILED"]

    assert sorted(instance.get_dynamic_partitions("documents")) == [w2.id, scan.id]
    # One batch run for both; it failed for the broken scan, and the partition view says which document.
    [run] = instance.get_runs(RunsFilter(job_name="process_documents"))
    assert run.status == DagsterRunStatus.FAILURE and run.tags["ella/batch_size"] == "2"
    for stage in ("document_hash", "digital_doc"):
        status = instance.get_status_by_partition(AssetKey(stage), [w2.id, scan.id], documents_partitions)
        assert {k: v.value for k, v in status.items()} == {w2.id: "MATERIALIZED", scan.id: "FAILED"}


def _instance(home: Path) -> DagsterInstance:
    from dagster._core.instance.ref import InstanceRef

    return DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
