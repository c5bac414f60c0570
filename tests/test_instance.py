"""The dagster.yaml `ella init` writes: the embedded default as it was, and each production block on
its own switch (PostgreSQL storage, S3 compute logs, Celery run launcher) with no secret in the file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import yaml
from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef

from ella_dagster.config import PROJECT_ROOT, Settings
from ella_dagster.instance import (
    HEADER,
    PASSWORD_ENV,
    InstanceSettings,
    instance_yaml,
    postgres_target,
    prepare_environment,
    write_instance_config,
)

BIN = Path(sys.executable).parent
PG_URL = "postgresql+psycopg://ella:s3cr3t-pw@db.internal:6432/ella?sslmode=require"


def settings_for(tmp_path: Path, **env: str) -> tuple[Settings, dict[str, str]]:
    """Settings as `ella` would read them from exactly this environment (read once: the instance's
    switches are part of them)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ELLA_", "DAGSTER_HOME"))}
    full = {**base, "ELLA_DATA_DIR": str(tmp_path / "data"), **env}
    return Settings.from_env(full), full


def parsed(settings: Settings, home: Path) -> dict:
    return yaml.safe_load(instance_yaml(settings, home))


def test_embedded_default_is_the_template_with_our_header(tmp_path: Path) -> None:
    settings, _ = settings_for(tmp_path)
    text = instance_yaml(settings, tmp_path / "home")
    assert text.startswith(HEADER)
    assert text.endswith((PROJECT_ROOT / "dagster.yaml").read_text())
    config = yaml.safe_load(text)
    assert not {"storage", "compute_logs", "run_launcher"} & set(config)
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 2


def test_postgres_storage_in_its_own_database_with_psycopg2_and_no_password(tmp_path: Path) -> None:
    settings, _ = settings_for(tmp_path, ELLA_DATABASE_URL=PG_URL)
    text = instance_yaml(settings, tmp_path / "home")
    assert "s3cr3t-pw" not in text
    assert parsed(settings, tmp_path)["storage"] == {
        "postgres": {
            "postgres_db": {
                "username": "ella",
                "hostname": "db.internal",
                "port": 6432,
                "db_name": "ella_dagster",
                "scheme": "postgresql+psycopg2",
                "password": {"env": PASSWORD_ENV},
                "params": {"sslmode": "require"},
            }
        }
    }
    # Any driver of the app's URL; the database name can be chosen; no password -> no reference.
    target = postgres_target("postgresql+psycopg2://ella@db/ella", "dagster_prod")
    assert target is not None and target.db_name == "dagster_prod" and "password" not in target.config()
    assert postgres_target("sqlite:///x.db") is None


def test_s3_compute_logs_in_the_store_bucket(tmp_path: Path) -> None:
    settings, _ = settings_for(
        tmp_path, ELLA_STORE="s3", ELLA_S3_BUCKET="firm-docs", ELLA_S3_ENDPOINT_URL="https://acct.r2.example"
    )
    logs = parsed(settings, tmp_path / "home")["compute_logs"]
    assert logs["module"] == "dagster_aws.s3.compute_log_manager" and logs["class"] == "S3ComputeLogManager"
    assert logs["config"] == {
        "bucket": "firm-docs",
        "prefix": "dagster-logs/",
        "local_dir": str(tmp_path / "home" / "compute_logs_staging"),
        "skip_empty_files": True,
        "upload_interval": 30,
        "endpoint_url": "https://acct.r2.example",
    }
    # The manager accepts that config (dagster-aws' own schema, as the instance would load it).
    from dagster._config import validate_config
    from dagster_aws.s3.compute_log_manager import S3ComputeLogManager

    assert validate_config(S3ComputeLogManager.config_type(), logs["config"]).success


def test_celery_run_launcher_on_redis_with_a_broker_password_kept_out(tmp_path: Path) -> None:
    settings, _ = settings_for(tmp_path, ELLA_CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    launcher = parsed(settings, tmp_path)["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_celery.launcher", "CeleryRunLauncher")
    config = launcher["config"]
    assert config["broker"] == config["backend"] == "redis://127.0.0.1:6379/0"
    assert config["default_queue"] == "dagster"
    assert config["config_source"]["task_acks_late"] is True
    assert config["config_source"]["worker_prefetch_multiplier"] == 1
    from dagster._config import validate_config
    from dagster_celery.launcher import CeleryRunLauncher

    assert validate_config(CeleryRunLauncher.config_type(), config).success

    secret = "redis://:hunter2@cache.internal:6379/0"
    settings, _ = settings_for(tmp_path, ELLA_CELERY_BROKER_URL=secret, ELLA_MAX_CONCURRENT_RUNS="6")
    text = instance_yaml(settings, tmp_path)
    assert "hunter2" not in text
    config = yaml.safe_load(text)
    assert config["run_launcher"]["config"]["broker"] == {"env": "ELLA_CELERY_BROKER_URL"}
    assert config["run_launcher"]["config"]["backend"] == {"env": "ELLA_CELERY_BROKER_URL"}
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 6
    assert "hunter2" not in InstanceSettings.of(settings).describe()
    assert "hunter2" not in repr(settings) + repr(InstanceSettings.of(settings))
    # A backend of its own is referenced by its own variable.
    settings, _ = settings_for(
        tmp_path, ELLA_CELERY_BROKER_URL=secret, ELLA_CELERY_BACKEND_URL="redis://:s3cret@results.internal:6379/1"
    )
    backend = parsed(settings, tmp_path)["run_launcher"]["config"]["backend"]
    assert backend == {"env": "ELLA_CELERY_BACKEND_URL"}


def test_everything_at_once_loads_as_a_dagster_instance(tmp_path: Path, postgres_url: str) -> None:
    """PostgreSQL storage, S3 compute logs and the Celery launcher in one file the instance loads; the
    password only ever in the environment."""
    url = postgres_url.replace("postgres@", "ella_pw_user:pw-9f1c@")
    settings, env = settings_for(
        tmp_path,
        ELLA_DATABASE_URL=url,
        ELLA_STORE="s3",
        ELLA_S3_ENDPOINT_URL="http://127.0.0.1:1",
        ELLA_CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    home = tmp_path / "home"
    home.mkdir()
    assert write_instance_config(home, settings) == "written"
    assert "pw-9f1c" not in (home / "dagster.yaml").read_text()
    ref = InstanceRef.from_dir(str(home))
    assert ref.storage_data.module_name == "dagster_postgres"
    assert ref.compute_logs_data.class_name == "S3ComputeLogManager"
    assert ref.run_launcher_data.class_name == "CeleryRunLauncher"
    prepared = prepare_environment(settings, dict(env))
    assert prepared[PASSWORD_ENV] == "pw-9f1c"  # what `ella` processes set for dagster-postgres
    assert prepare_environment(settings, {**env, PASSWORD_ENV: "other"})[PASSWORD_ENV] == "other"


def test_a_password_given_as_a_query_parameter_stays_out_of_the_file_too(tmp_path: Path) -> None:
    """libpq takes `?password=`: it is a secret like the URL's own and goes by name."""
    settings, env = settings_for(tmp_path, ELLA_DATABASE_URL="postgresql+psycopg://ella@db/ella?password=QSECRET")
    text = instance_yaml(settings, tmp_path / "home")
    assert "QSECRET" not in text
    assert yaml.safe_load(text)["storage"]["postgres"]["postgres_db"]["password"] == {"env": PASSWORD_ENV}
    assert prepare_environment(settings, dict(env))[PASSWORD_ENV] == "QSECRET"


def test_ours_is_rewritten_a_hand_made_one_is_kept(tmp_path: Path, postgres_url: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    sqlite_settings, _ = settings_for(tmp_path)
    pg_settings, _ = settings_for(tmp_path, ELLA_DATABASE_URL=postgres_url)
    # A plain copy of the template (what earlier versions wrote) is ours: switching storage rewrites it.
    (home / "dagster.yaml").write_text((PROJECT_ROOT / "dagster.yaml").read_text())
    assert write_instance_config(home, pg_settings) == "written"
    assert "storage" in yaml.safe_load((home / "dagster.yaml").read_text())
    assert write_instance_config(home, pg_settings) == "unchanged"
    assert write_instance_config(home, sqlite_settings) == "written"
    assert "storage" not in yaml.safe_load((home / "dagster.yaml").read_text())
    # Hand-made: left alone, with a warning.
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    notes: list[str] = []
    assert write_instance_config(home, pg_settings, notes.append) == "kept"
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"
    [note] = notes
    assert note.startswith("warning: ") and "not written by `ella init`" in note


@pytest.mark.slow
def test_init_puts_the_instance_on_postgres_in_its_own_database(tmp_path: Path, postgres_url: str) -> None:
    """`ella init` creates `<appdb>_dagster` and migrates it; the CLI, the daemon, the webserver and run
    workers then read the same runs from there."""
    app_db = postgres_url.rsplit("/", 1)[1]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ELLA_")},
        "ELLA_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_HOME": str(tmp_path / "home"),
        "ELLA_DATABASE_URL": postgres_url,
    }
    try:
        done = subprocess.run([str(BIN / "ella"), "init"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert f"created database {app_db}_dagster" in done.stdout
        assert f"instance storage: PostgreSQL database {app_db}_dagster on 127.0.0.1:5432" in done.stdout
        with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={app_db}_dagster") as conn:
            tables = {r[0] for r in conn.execute("select table_name from information_schema.tables")}
        assert {"runs", "event_logs", "jobs", "job_ticks", "alembic_version"} <= tables
        instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path / "home")))
        try:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        finally:
            instance.dispose()
        again = subprocess.run([str(BIN / "ella"), "init"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
        assert again.returncode == 0 and "created database" not in again.stdout
    finally:
        drop_database(f"{app_db}_dagster")


def drop_database(name: str) -> None:
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _no_leaking_dagster_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
