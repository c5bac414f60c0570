"""Staff and engineer workflows against a running `dagster dev` (webserver + daemon): re-running a
failed partition with `ella rerun-failed`, and reclassifying after an engine version bump with
`ella reclassify`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from sqlalchemy import select

from ella_dagster.config import PROJECT_ROOT
from ella_dagster.db.models import Action, ChecklistItem, ClassificationResult, DigitalDoc, RawImage
from ella_dagster.db.session import Database
from ella_dagster.pipeline.intake import upload_files
from ella_dagster.store import LocalDocumentStore, new_upload_id

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def dagster_dev(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "dagster"), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
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


def wait_processed(db: Database, count: int, timeout: float = 240) -> list[RawImage]:
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


def test_a_failed_partition_recovers_with_rerun_failed(tmp_path: Path, generated) -> None:
    env = environment(tmp_path)
    assert ella(env, "init").returncode == 0 and ella(env, "seed-demo").returncode == 0
    db, store = Database(f"sqlite:///{tmp_path / 'data' / 'ella.db'}"), LocalDocumentStore(tmp_path / "data" / "store")
    upload_files(db, store, "case_demo", [("ssn.png", generated["ssn_card"].data)])
    # An upload whose file has not arrived yet (a half-finished transfer): its run fails permanently.
    late_id = new_upload_id()
    late_key = f"cases/case_demo/raw/{late_id}.png"
    store.record_upload(late_id, late_key)

    with dagster_dev(env) as url:
        first = {r.id: r for r in wait_processed(db, 2)}
        assert first[late_id].status == "FAILED" and "missing from the store" in first[late_id].error_message
        store.put(
            late_key,
            generated["w2"].data,
            {"case-id": "case_demo", "original-filename": "w2.png", "mime-type": "image/png"},
        )
        result = ella(env, "rerun-failed", "--url", url)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "backfill" in result.stdout and "/runs/b/" in result.stdout and "COMPLETED" in result.stdout

    with db.transaction() as s:
        raw = s.get(RawImage, late_id)
        assert (raw.status, raw.route, raw.classified_type, raw.original_filename) == (
            "LINKED",
            "auto-linked",
            "W2",
            "w2.png",
        )
        assert raw.error_message is None and raw.storage_key.startswith("cases/case_demo/docs/2024_W2_")
        assert s.get(DigitalDoc, f"dd_{late_id}").extracted_data["wages"] == generated["w2"].fields["wages"]
        assert s.get(ChecklistItem, raw.checklist_item_id).received_count == 1
        actions = s.scalars(select(Action).where(Action.raw_image_id == late_id)).all()
        assert [(a.type, a.is_completed) for a in actions] == [("AI_FAILED", True)]  # resolved, not deleted
        ssn = s.get(RawImage, next(i for i in first if i != late_id))
        assert ssn.status == "LINKED" and ssn.processed_at == first[ssn.id].processed_at  # untouched


def test_reclassify_after_an_engine_bump_touches_only_the_selection(tmp_path: Path, generated) -> None:
    env = environment(tmp_path)
    assert ella(env, "init").returncode == 0 and ella(env, "seed-demo").returncode == 0
    db, store = Database(f"sqlite:///{tmp_path / 'data' / 'ella.db'}"), LocalDocumentStore(tmp_path / "data" / "store")
    upload_files(
        db,
        store,
        "case_demo",
        [
            ("w2.png", generated["w2"].data),
            ("nec.png", generated["1099nec"].data),
            ("ssn.png", generated["ssn_card"].data),
        ],
    )
    with dagster_dev(env):
        before = {r.id: r for r in wait_processed(db, 3)}
    w2_id = next(i for i, r in before.items() if r.classified_type == "W2")

    bumped = environment(tmp_path, ELLA_ENGINE_REVISION="r2")
    with dagster_dev(bumped) as url:
        dry = ella(bumped, "reclassify", "--doc-type", "W2", "--dry-run")
        assert f"1 documents: {w2_id}" in dry.stdout
        result = ella(bumped, "reclassify", "--doc-type", "W2", "--url", url)
        assert result.returncode == 0, result.stdout + result.stderr

    with db.transaction() as s:
        after = {r.id: r for r in s.scalars(select(RawImage))}
        history = {
            i: [
                h.engine_version
                for h in s.scalars(
                    select(ClassificationResult)
                    .where(ClassificationResult.raw_image_id == i)
                    .order_by(ClassificationResult.id)
                )
            ]
            for i in after
        }
        item = s.get(ChecklistItem, after[w2_id].checklist_item_id)
        open_actions = s.scalars(select(Action).where(Action.is_completed.is_(False))).all()
    assert len(history[w2_id]) == 2 and history[w2_id][1].endswith("+r2")
    assert after[w2_id].processed_at > before[w2_id].processed_at and after[w2_id].status == "LINKED"
    for doc_id in after.keys() - {w2_id}:
        assert len(history[doc_id]) == 1 and not history[doc_id][0].endswith("+r2")
        assert after[doc_id].processed_at == before[doc_id].processed_at
    assert item.received_count == 1 and open_actions == []
