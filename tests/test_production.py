"""Production deployment: a missing bucket is one clear line (health, upload) that `ella init` fixes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
from dagster import DagsterInstance
from sqlalchemy import text

from ella_dagster.config import PROJECT_ROOT

BIN = Path(sys.executable).parent


def ella(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ella"), *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout
    )


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This machine's environment without any ELLA_* setting of the caller, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ELLA_", "GEMINI_"))}
    env.update(
        ELLA_DATA_DIR=str(tmp_path / "data"),
        DAGSTER_HOME=str(tmp_path / "home"),
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
        **extra,
    )
    return env


@pytest.mark.slow
def test_missing_bucket_is_one_line_and_init_creates_it(tmp_path: Path, s3_endpoint: str, generated) -> None:
    bucket = f"ella-missing-{uuid.uuid4().hex[:8]}"
    env = clean_env(tmp_path, ELLA_STORE="s3", ELLA_S3_BUCKET=bucket, ELLA_S3_ENDPOINT_URL=s3_endpoint)
    s3 = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    expected = f"bucket {bucket} does not exist (run `ella init` to create it)"

    health = ella(env, "health")
    assert health.returncode == 1
    report = json.loads(health.stdout)
    assert report["store"] == f"error: {expected}" and report["healthy"] is False
    assert health.stderr.splitlines() == [f"ella health: store: {expected}"]

    # An upload before `ella init`: one line naming the bucket, no traceback, nothing stored.
    (tmp_path / "w2.png").write_bytes(generated["w2"].data)
    assert ella(env, "seed-demo").returncode == 0
    upload = ella(env, "upload", "--case", "case_demo", str(tmp_path / "w2.png"))
    assert upload.returncode != 0 and "Traceback" not in upload.stderr + upload.stdout
    [line] = [ln for ln in (upload.stdout + upload.stderr).splitlines() if ln.strip()]
    assert line.startswith("ella upload: ") and expected in line and "NoSuchBucket" not in line

    init = ella(env, "init")
    assert init.returncode == 0, init.stderr
    assert f"created bucket {bucket}" in init.stdout
    assert f"compute logs: s3://{bucket}/dagster-logs/" in init.stdout
    s3.head_bucket(Bucket=bucket)
    again = ella(env, "init")
    assert again.returncode == 0 and "created bucket" not in again.stdout

    health = ella(env, "health")
    report = json.loads(health.stdout)
    assert health.returncode == 0 and report["store"] == "ok (s3)" and report["healthy"] is True, health.stderr
    # The write probe went under _health/ and was deleted again.
    assert s3.list_objects_v2(Bucket=bucket, Prefix="_health/").get("KeyCount") == 0

    upload = ella(env, "upload", "--case", "case_demo", str(tmp_path / "w2.png"))
    assert upload.returncode == 0 and "stored" in upload.stdout


@pytest.mark.slow
def test_health_reports_a_store_that_cannot_be_written(tmp_path: Path) -> None:
    """A local store whose root is a file: the probe write fails, in one line."""
    (tmp_path / "store").write_text("not a folder")
    health = ella(clean_env(tmp_path, ELLA_STORE_ROOT=str(tmp_path / "store")), "health")
    report = json.loads(health.stdout)
    assert health.returncode == 1 and report["store"].startswith("error: ") and report["healthy"] is False
    [line] = health.stderr.splitlines()
    assert line == f"ella health: store: {report['store'].removeprefix('error: ')}"


# The deployment -----------------------------------------------------------------------------------


@pytest.mark.daemon
@pytest.mark.slow
def test_production_deployment_postgres_s3_celery(tmp_path: Path, postgres_url: str, s3_endpoint: str, generated):
    """PostgreSQL for the app and the Dagster instance, the S3 store and compute logs (moto), two Celery
    workers on Redis, the real dagster-daemon and a read-only webserver, each with a DAGSTER_HOME of its
    own written by `ella` from the same settings, as on separate machines. Uploads end exactly as on
    the embedded default, and the webserver shows the runs and a run's compute logs (read from S3:
    it never saw the workers' files)."""
    import random
    import socket

    import redis
    from dagster._core.instance.ref import InstanceRef

    from ella_dagster import samples
    from ella_dagster.daemon import start_daemon, stop, wait_until_processed
    from ella_dagster.db.session import Database

    app_db = postgres_url.rsplit("/", 1)[1]
    bucket = f"ella-prod-{uuid.uuid4().hex[:8]}"  # not created here: `ella init` does it
    redis_db = empty_redis_db(redis)  # the test's own: flushed at the end
    env = clean_env(
        tmp_path,
        ELLA_DATABASE_URL=postgres_url,
        ELLA_STORE="s3",
        ELLA_S3_BUCKET=bucket,
        ELLA_S3_ENDPOINT_URL=s3_endpoint,
        ELLA_CELERY_BROKER_URL=f"redis://127.0.0.1:6379/{redis_db}",
        ELLA_SENSOR_INTERVAL_SECONDS="1",
        ELLA_BATCH_SIZE="4",
    )
    homes = {name: tmp_path / f"home-{name}" for name in ("daemon", "w1", "w2", "web")}
    on = {name: {**env, "DAGSTER_HOME": str(home)} for name, home in homes.items()}
    files = sample_files(generated, samples)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    expected = embedded_outcomes(tmp_path / "embedded", files)

    processes: dict[str, subprocess.Popen[bytes]] = {}
    instance = None
    try:
        init = ella(on["daemon"], "init")
        assert init.returncode == 0, init.stderr
        assert f"created bucket {bucket}" in init.stdout and f"created database {app_db}_dagster" in init.stdout
        for worker in ("w1", "w2"):
            processes[worker] = spawn(
                [str(BIN / "ella"), "worker", "--concurrency", "1", "--name", worker], on[worker], tmp_path / worker
            )
        assert ella(on["daemon"], "seed-demo").returncode == 0
        names = list(files)
        for first in range(0, len(names), 20):  # the portal takes 20 files a batch
            batch = (str(tmp_path / n) for n in names[first : first + 20])
            upload = ella(on["daemon"], "upload", "--case", "case_demo", *batch)
            assert upload.returncode == 0, upload.stdout + upload.stderr
        wait_for_workers(tmp_path, ("w1", "w2"), processes)

        db = Database(postgres_url)
        instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(homes["daemon"])))
        processes["daemon"] = start_daemon(on["daemon"], log_path=tmp_path / "daemon.log")
        assert ella(on["web"], "init").returncode == 0  # the webserver's machine
        port = free_port(socket)
        processes["web"] = spawn(
            [str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port), "--read-only"],
            on["web"],
            tmp_path / "web",
        )
        assert wait_until_processed(db, instance, len(files), timeout=200, daemon=processes["daemon"]), log_tail(
            tmp_path
        )

        with db.transaction() as s:
            rows = s.execute(text("SELECT original_filename, status, classified_type, route FROM raw_images")).all()
        assert {r[0]: tuple(r[1:]) for r in rows} == expected
        assert {status for status, *_ in expected.values()} >= {"LINKED", "FAILED"}

        runs = instance.get_runs()
        assert runs and all(r.status.value in ("SUCCESS", "FAILURE") for r in runs)
        assert all("dagster-celery/task_id" in r.tags for r in runs)  # every run went through Celery
        for worker in ("w1", "w2"):  # and both workers took runs
            assert "Task execute_job[" in (tmp_path / f"{worker}.log").read_text(), worker

        graphql = webserver_client(port, processes["web"])
        granted = graphql("{ permissions { permission value } }")["permissions"]
        permissions = {p["permission"]: p["value"] for p in granted}
        assert permissions["launch_pipeline_execution"] is False  # read-only
        listed = graphql("{ runsOrError { ... on Runs { results { runId status } } } }")["runsOrError"]["results"]
        assert {r["runId"] for r in listed} == {r.run_id for r in runs}
        run_id = next(r.run_id for r in runs if r.job_name == "process_documents")  # not a metrics run
        logs = graphql(
            "query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events {"
            " __typename ... on LogsCapturedEvent { fileKey } } } } }",
            {"id": run_id},
        )["logsForRun"]["events"]
        [file_key] = {e["fileKey"] for e in logs if e["__typename"] == "LogsCapturedEvent"}
        captured = graphql(
            "query($key: [String!]!) { capturedLogs(logKey: $key) { stdout stderr } }",
            {"key": [run_id, "compute_logs", file_key]},
        )["capturedLogs"]
        assert run_id in captured["stderr"] and "document_pipeline" in captured["stderr"]
        s3 = boto3.client(
            "s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="dagster-logs/").get("Contents", [])]
        assert f"dagster-logs/storage/{run_id}/compute_logs/{file_key}.err" in keys
        assert not any((homes["web"] / "compute_logs_staging" / run_id).glob("compute_logs/*.err.partial"))

        # The engineers' (writable) webserver: staff fix the corrupt file and re-run what failed, then
        # reclassify the W-2s; both backfills run through the Celery workers.
        writable = free_port(socket)
        processes["engineers"] = spawn(
            [str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(writable)],
            on["web"],
            tmp_path / "engineers",
        )
        webserver_client(writable, processes["engineers"])
        with db.transaction() as s:
            corrupt_key = s.execute(
                text("SELECT storage_key FROM raw_images WHERE original_filename = 'corrupt.png'")
            ).scalar_one()
        s3.put_object(
            Bucket=bucket,
            Key=corrupt_key,
            Body=samples.GENERATORS[2](random.Random(999), 2024).data,  # a 1099-NEC not uploaded before
            Metadata={"case-id": "case_demo", "original-filename": "nec.png", "mime-type": "image/png"},
        )
        url = f"http://127.0.0.1:{writable}"
        rerun = ella(on["web"], "rerun-failed", "--url", url, timeout=400)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        reclassify = ella(on["web"], "reclassify", "--doc-type", "W-2", "--url", url, timeout=400)
        assert reclassify.returncode == 0, reclassify.stdout + reclassify.stderr
        with db.transaction() as s:
            statuses = dict(s.execute(text("SELECT original_filename, status FROM raw_images")).all())
        assert statuses["nec.png"] == "LINKED" and "FAILED" not in statuses.values()
        backfill_runs = [r for r in instance.get_runs() if r.tags.get("ella/command") in ("rerun-failed", "reclassify")]
        assert {r.tags["ella/command"] for r in backfill_runs} == {"rerun-failed", "reclassify"}
        assert all("dagster-celery/task_id" in r.tags and r.status.value == "SUCCESS" for r in backfill_runs)
    finally:
        for name in ("engineers", "web", "daemon", "w1", "w2"):
            if name in processes:
                stop(processes[name], timeout=60)
        if instance is not None:
            instance.dispose()
        redis.Redis(host="127.0.0.1", port=6379, db=redis_db).flushdb()  # results, bindings, queues
        drop_database(f"{app_db}_dagster")


def empty_redis_db(redis) -> int:
    """A Redis database (8-15) holding nothing, for this test alone."""
    import random

    candidates = list(range(8, 16))
    random.shuffle(candidates)
    for number in candidates:
        if redis.Redis(host="127.0.0.1", port=6379, db=number).dbsize() == 0:
            return number
    raise AssertionError("no empty Redis database among 8-15 on 127.0.0.1:6379")


def sample_files(generated, samples) -> dict[str, bytes]:
    """40 distinct uploads: the shared generated kinds (one corrupt) and 32 more of the form kinds."""
    import random

    files = {f"{kind}.{s.filename.rsplit('.', 1)[-1]}": s.data for kind, s in generated.items()}
    rng = random.Random(77)
    for i in range(32):
        files[f"extra{i}.png"] = samples.GENERATORS[i % len(samples.GENERATORS)](rng, 2023).data
    return files


def embedded_outcomes(work: Path, files: dict[str, bytes]) -> dict[str, tuple[str, str | None, str | None]]:
    """The same uploads through the same steps on the embedded default (SQLite, folder store, in this
    process): filename -> (status, classified type, route)."""
    from sqlalchemy import select

    from ella_dagster.db.models import RawImage
    from ella_dagster.db.session import Database
    from ella_dagster.engines import engine_for
    from ella_dagster.pipeline.batch import process_batch
    from ella_dagster.pipeline.intake import register_upload, seed_demo, upload_files
    from ella_dagster.store import LocalDocumentStore

    work.mkdir()
    db, store = Database(f"sqlite:///{work / 'ella.db'}"), LocalDocumentStore(work / "store")
    db.migrate()
    case, items = seed_demo(db), list(files.items())
    outcomes = [
        o for first in range(0, len(items), 20) for o in upload_files(db, store, case, items[first : first + 20])
    ]
    for marker in store.new_uploads(None, 100):
        register_upload(db, store, marker)
    engine = engine_for("offline")
    list(process_batch(db, store, engine, [o.upload_id for o in outcomes if o.upload_id]))
    with db.transaction() as s:  # the documents split out of a bundle, as the sensor's next batch
        split_out = list(s.scalars(select(RawImage.id).where(RawImage.parent_id.is_not(None)).order_by(RawImage.id)))
    list(process_batch(db, store, engine, split_out))
    with db.transaction() as s:
        result = {r.original_filename: (r.status, r.classified_type, r.route) for r in s.scalars(select(RawImage))}
    db.dispose()
    return result


def spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A service in its own process group, output to `log`.log."""
    with log.with_suffix(".log").open("wb") as out:
        return subprocess.Popen(
            command, env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_for_workers(tmp_path: Path, names: tuple[str, ...], processes: dict, timeout: float = 90) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name in names:
            assert processes[name].poll() is None, (tmp_path / f"{name}.log").read_text()[-3000:]
        if all(" ready." in (tmp_path / f"{n}.log").read_text() for n in names):
            return
        time.sleep(0.5)
    raise AssertionError("Celery workers did not start: " + log_tail(tmp_path))


def free_port(socket) -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def webserver_client(port: int, process: subprocess.Popen[bytes], timeout: float = 90):
    """A GraphQL caller once the webserver answers."""
    import time
    import urllib.request

    url = f"http://127.0.0.1:{port}/graphql"

    def call(query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.loads(response.read())
        assert "errors" not in payload, payload
        return payload["data"]

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "webserver exited"
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2).close()
            return call
        except OSError:
            time.sleep(0.5)
    raise AssertionError("webserver did not answer")


def log_tail(tmp_path: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted(tmp_path.glob("*.log")))


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
