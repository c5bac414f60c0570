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
