"""Shared fixtures: real SQLite and PostgreSQL databases, a real S3-speaking server on loopback."""

from __future__ import annotations

import os
import random
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import psycopg
import pytest
from dagster import DagsterInstance, instance_for_test

from ella_dagster import samples
from ella_dagster.db.session import Database
from ella_dagster.pipeline.intake import seed_demo
from ella_dagster.store import LocalDocumentStore


def pytest_configure(config: pytest.Config) -> None:
    """Temporary directories on tmpfs (/dev/shm) when the machine has one: every SQLite commit and
    every Dagster storage file under tmp_path is fsynced, and on a disk those waits were most of the
    unit tier's wall time. `--basetemp`, PYTEST_DEBUG_TEMPROOT or ELLA_TEST_TMPFS=0 keep the default."""
    if config.option.basetemp or os.environ.get("PYTEST_DEBUG_TEMPROOT") or os.environ.get("ELLA_TEST_TMPFS") == "0":
        return
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(shm)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tiers from what a test uses: PostgreSQL or S3 fixtures mark it `postgres` / `s3`, and either
    makes it part of the slow tier's services."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        if fixtures & {"postgres_server", "postgres_url"} or "postgresql" in str(params.values()):
            item.add_marker(pytest.mark.postgres)
        if "s3_endpoint" in fixtures or "s3" in str(params.values()):
            item.add_marker(pytest.mark.s3)


PG_ADMIN_DSN = os.environ.get("ELLA_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The local PostgreSQL server; CI starts it (scripts/ensure-postgres.sh), so no skip here."""
    with psycopg.connect(PG_ADMIN_DSN, connect_timeout=5) as conn:
        conn.execute("select 1")
    return PG_ADMIN_DSN


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    name = f"ella_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    params = dict(part.split("=", 1) for part in postgres_server.split())
    yield f"postgresql+psycopg://{params['user']}@{params['host']}:{params['port']}/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head once per session; each test gets a copy of it (migrating
    takes longer than most tests). tests/db/test_migrations.py runs the migrations themselves."""
    path = tmp_path_factory.mktemp("sqlite_template") / "ella.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()  # the last connection closing checkpoints the WAL into the file
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    assert not leftovers, f"the migrated template left {leftovers} beside it"
    return path


def fresh_sqlite(template: Path, directory: Path) -> Database:
    """A migrated, empty SQLite database at directory/ella.db: a copy of the session's template."""
    target = directory / "ella.db"
    shutil.copyfile(template, target)
    return Database(f"sqlite:///{target}")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: SQLite (the embedded default) and PostgreSQL (production)."""
    if request.param == "sqlite":
        db = fresh_sqlite(request.getfixturevalue("migrated_sqlite_template"), tmp_path)
    else:
        db = Database(request.getfixturevalue("postgres_url"))
        db.migrate()
    yield db
    db.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path, migrated_sqlite_template: Path) -> Iterator[Database]:
    db = fresh_sqlite(migrated_sqlite_template, tmp_path)
    yield db
    db.dispose()


@pytest.fixture
def local_store(tmp_path: Path) -> LocalDocumentStore:
    return LocalDocumentStore(tmp_path / "store")


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1: real HTTP, real boto3, no Python-level mock."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = f"ella-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture
def case_id(database: Database) -> str:
    return seed_demo(database)


@pytest.fixture(scope="session")
def dagster_home_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DAGSTER_HOME whose run, event-log and schedule storages were created (and migrated) once per
    session; creating them is most of the cost of a fresh instance."""
    home = tmp_path_factory.mktemp("dagster_home_template")
    with instance_for_test(temp_dir=str(home)) as inst:
        assert inst.get_runs() == []
    return home


@pytest.fixture
def instance(tmp_path: Path, dagster_home_template: Path) -> Iterator[DagsterInstance]:
    """A persistent Dagster instance in a temporary DAGSTER_HOME (a copy of the session's template)."""
    home = tmp_path / "dagster_home"
    shutil.copytree(dagster_home_template, home)
    with instance_for_test(temp_dir=str(home)) as inst:
        yield inst


@pytest.fixture(scope="session")
def generated() -> dict[str, samples.Sample]:
    """One generated sample per kind, fixed seed: the labelled documents most tests use."""
    rng = random.Random(2024)
    batch = [make(rng, 2024) for make in samples.GENERATORS]
    batch += [
        samples.unknown_letter(rng, 2024),
        samples.multipage_1099_int_pdf(rng, 2024),
        samples.corrupt_png(),
    ]
    names = ["w2", "1099int", "1099nec", "ssn_card", "driver_license", "unknown", "1099int_pdf", "corrupt"]
    return dict(zip(names, batch, strict=True))
