"""The Dagster home the CLI, demo, daemon and workers share, and the dagster.yaml `ella init` writes.

With nothing configured the instance is the embedded default: the project's dagster.yaml as it is,
SQLite under $DAGSTER_HOME. The production blocks are added from the settings (config.Settings, read
from the environment once), each on its own switch:

- ELLA_DATABASE_URL on PostgreSQL -> dagster-postgres run, event-log and schedule storage in a database
  of its own on the same server (`<appdb>_dagster`, or ELLA_DAGSTER_PG_DB), created when missing;
- ELLA_STORE=s3 -> dagster-aws' S3ComputeLogManager in the store's bucket under `dagster-logs/`;
- ELLA_CELERY_BROKER_URL -> dagster-celery's CeleryRunLauncher (runs as tasks on `ella worker`s).

No secret is ever written into the file (the webserver shows it under Deployment -> Configuration):
a PostgreSQL password is read from ELLA_DAGSTER_PG_PASSWORD, a broker URL that carries a password is
read from ELLA_CELERY_BROKER_URL / ELLA_CELERY_BACKEND_URL, S3 credentials from the usual AWS_*
variables. Processes started through `ella` take ELLA_DAGSTER_PG_PASSWORD from ELLA_DATABASE_URL
when it is not set (`python -m ella_dagster.instance exec CMD...` does the same for any command).
"""

from __future__ import annotations

import getpass
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ella_dagster.config import PROJECT_ROOT, Settings, current

TEMPLATE = PROJECT_ROOT / "dagster.yaml"
# The first line of every dagster.yaml `ella init` writes: a file starting with it is ours to rewrite.
HEADER = "# Written by `ella init` (ella_dagster/instance.py) from the project's dagster.yaml and the ELLA_* settings."
HEADER_NOTE = (
    "# `ella init` rewrites this file when the settings change; delete the first line to keep your own edits.\n"
)
PASSWORD_ENV = "ELLA_DAGSTER_PG_PASSWORD"
BROKER_ENV = "ELLA_CELERY_BROKER_URL"
BACKEND_ENV = "ELLA_CELERY_BACKEND_URL"
# Plain copies of the template that earlier versions of `ella init` made: ours too.
EARLIER_TEMPLATES_SHA256 = frozenset(
    {
        "43939b3863105f29844a56e7e160d2fd1eb3de49edd5f722df67b8ac368ae1cf",
        "e56f45e9555a8db51c7c4dfc34d64aa84ea21a6a99e3f99d7ad17f538fa96ecd",
    }
)
COMPUTE_LOGS_PREFIX = "dagster-logs/"
CELERY_QUEUE = "dagster"


class InstanceConfigError(Exception):
    """The instance cannot be set up as configured; the message is the one-line reason."""


@dataclass(frozen=True)
class PostgresTarget:
    """Where the Dagster instance's storage lives: a database of its own on the app's server."""

    username: str
    hostname: str
    port: int
    db_name: str
    app_db_name: str
    has_password: bool
    params: Mapping[str, str]

    def config(self) -> dict[str, Any]:
        """dagster-postgres' `postgres_db` block: psycopg2 named explicitly (SQLAlchemy 2.1 maps a bare
        `postgresql://` to psycopg 3, on which dagster-postgres' `NOTIFY run_events, :id` fails to
        parse), the password only as an environment reference."""
        block: dict[str, Any] = {
            "username": self.username,
            "hostname": self.hostname,
            "port": self.port,
            "db_name": self.db_name,
            "scheme": "postgresql+psycopg2",
        }
        if self.has_password:
            block["password"] = {"env": PASSWORD_ENV}
        if self.params:
            block["params"] = dict(self.params)
        return block


@dataclass(frozen=True)
class InstanceSettings:
    """The instance's production switches, made from the settings (config.Settings: the database and
    store settings and `settings.dagster`, read with the rest; see the README's table)."""

    postgres: PostgresTarget | None
    compute_logs_bucket: str | None  # the store's bucket when ELLA_STORE=s3
    s3_endpoint_url: str | None
    celery_broker: str | None = field(repr=False)
    celery_backend: str | None = field(repr=False)
    celery_backend_env: str  # the variable the backend URL comes from (the broker's when unset)
    max_concurrent_runs: int | None

    @classmethod
    def of(cls, settings: Settings) -> InstanceSettings:
        dagster = settings.dagster
        broker = dagster.celery_broker_url
        return cls(
            postgres=postgres_target(settings.database_url, dagster.pg_db),
            compute_logs_bucket=settings.s3_bucket if settings.store == "s3" else None,
            s3_endpoint_url=settings.s3_endpoint_url,
            celery_broker=broker,
            celery_backend=(dagster.celery_backend_url or broker) if broker else None,
            celery_backend_env=BACKEND_ENV if dagster.celery_backend_url else BROKER_ENV,
            max_concurrent_runs=dagster.max_concurrent_runs,
        )

    def describe(self) -> str:
        """One line for `ella init`: where runs, logs and run workers go."""
        storage = (
            f"PostgreSQL database {self.postgres.db_name} on {self.postgres.hostname}:{self.postgres.port}"
            if self.postgres
            else "SQLite under DAGSTER_HOME"
        )
        logs = f"s3://{self.compute_logs_bucket}/{COMPUTE_LOGS_PREFIX}" if self.compute_logs_bucket else "DAGSTER_HOME"
        runs = f"Celery workers ({_redacted(self.celery_broker)})" if self.celery_broker else "local processes"
        return f"instance storage: {storage}; compute logs: {logs}; runs: {runs}"


def postgres_target(database_url: str, db_name: str | None = None) -> PostgresTarget | None:
    """The Dagster storage for an app database on PostgreSQL (any driver), None otherwise."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    app_db = url.database or url.username or getpass.getuser()
    params = {k: v if isinstance(v, str) else v[-1] for k, v in url.query.items()}
    # libpq also takes the password as a query parameter: it goes by name like the URL's own.
    query_password = params.pop("password", None)
    return PostgresTarget(
        username=url.username or getpass.getuser(),  # as libpq would default it
        hostname=url.host or params.pop("host", ""),
        port=url.port or 5432,
        db_name=db_name or f"{app_db}_dagster",
        app_db_name=app_db,
        has_password=bool(url.password or query_password),
        params=params,
    )


def instance_yaml(settings: Settings, home: Path) -> str:
    """The dagster.yaml for these settings: the project's template, then the production blocks."""
    production = InstanceSettings.of(settings)
    text = TEMPLATE.read_text()
    if production.max_concurrent_runs is not None:
        text, count = re.subn(
            r"^(\s*max_concurrent_runs:\s*)\d+", rf"\g<1>{production.max_concurrent_runs}", text, flags=re.M
        )
        if count != 1:
            raise InstanceConfigError("dagster.yaml template: no single concurrency.runs.max_concurrent_runs")
    blocks: dict[str, Any] = {}
    if production.postgres:
        blocks["storage"] = {"postgres": {"postgres_db": production.postgres.config()}}
    if production.compute_logs_bucket:
        logs: dict[str, Any] = {
            "bucket": production.compute_logs_bucket,
            "prefix": COMPUTE_LOGS_PREFIX,
            # staged here while a step runs, uploaded when it ends (and every 30 s while it runs)
            "local_dir": str(home / "compute_logs_staging"),
            "skip_empty_files": True,
            "upload_interval": 30,
        }
        if production.s3_endpoint_url:
            logs["endpoint_url"] = production.s3_endpoint_url
        blocks["compute_logs"] = {
            "module": "dagster_aws.s3.compute_log_manager",
            "class": "S3ComputeLogManager",
            "config": logs,
        }
    if production.celery_broker:
        blocks["run_launcher"] = {
            "module": "dagster_celery.launcher",
            "class": "CeleryRunLauncher",
            "config": {
                "broker": _secret_free(production.celery_broker, BROKER_ENV),
                "backend": _secret_free(
                    production.celery_backend or production.celery_broker, production.celery_backend_env
                ),
                "default_queue": CELERY_QUEUE,
                "config_source": {
                    # One run at a time per worker process, taken only when that process is free (a
                    # run is acknowledged when it ends, so a busy worker never sits on a second one).
                    "worker_prefetch_multiplier": 1,
                    "task_acks_late": True,
                    "task_reject_on_worker_lost": False,  # a lost run is re-launched by run_retries
                    "broker_connection_retry_on_startup": True,
                    # Redis redelivers an unacknowledged task after this long: longer than any run.
                    "broker_transport_options": {
                        "visibility_timeout": 43200,
                        "max_retries": 3,
                        "interval_start": 0,
                        "interval_step": 0.2,
                        "interval_max": 0.5,
                    },
                    "result_expires": 604800,
                },
            },
        }
    out = f"{HEADER}\n{HEADER_NOTE}{text}"
    if blocks:
        out += "\n# Production blocks from the environment (ELLA_DATABASE_URL, ELLA_STORE, ELLA_CELERY_BROKER_URL).\n"
        out += yaml.safe_dump(blocks, sort_keys=False, default_flow_style=False)
    return out


def _secret_free(url: str, env_name: str) -> str | dict[str, str]:
    """A URL as it is when it holds no password, else a reference to the variable that holds it."""
    from urllib.parse import urlsplit

    return {"env": env_name} if urlsplit(url).password else url


def _redacted(url: str | None) -> str:
    from urllib.parse import urlsplit

    if not url:
        return ""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}{f':{parts.port}' if parts.port else ''}"
    return parts._replace(netloc=netloc).geturl()


def url_password(database_url: str) -> str | None:
    """A database URL's password, in its user part or as libpq's `password` query parameter."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    query = url.query.get("password")
    return url.password or (query if isinstance(query, str) or query is None else query[-1]) or None


def prepare_environment(settings: Settings, env: dict[str, str] | None = None) -> dict[str, str]:
    """Sets ELLA_DAGSTER_PG_PASSWORD from ELLA_DATABASE_URL when the URL carries a password and the
    variable is unset, so every process started from here can read the instance's storage."""

    env = os.environ if env is None else env  # type: ignore[assignment]
    if postgres_target(settings.database_url) is not None and not env.get(PASSWORD_ENV):
        password = url_password(settings.database_url)
        if password:
            env[PASSWORD_ENV] = str(password)
    return env  # type: ignore[return-value]


def ensure_postgres_database(settings: Settings, target: PostgresTarget) -> bool:
    """Creates the instance's database on the app's server when it is missing; True when created."""
    import sqlalchemy as sa
    from sqlalchemy.exc import DBAPIError

    engine = sa.create_engine(settings.database_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.db_name}):
                return False
            quoted = '"' + target.db_name.replace('"', '""') + '"'
            try:
                conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
            except DBAPIError as exc:
                code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
                if code in ("42P04", "23505"):  # created meanwhile by another `ella init`
                    return False
                if code == "42501":
                    raise InstanceConfigError(
                        f"database {target.db_name} for the Dagster instance does not exist and user "
                        f"{target.username} may not create it: create it once (CREATE DATABASE {quoted} OWNER "
                        f'"{target.username}") or set ELLA_DAGSTER_PG_DB to a database this user owns'
                    ) from None
                raise
            return True
    finally:
        engine.dispose()


def write_instance_config(home: Path, settings: Settings, notify: Callable[[str], None] | None = None) -> str:
    """Writes $DAGSTER_HOME/dagster.yaml for these settings. A file we wrote (our header, or the plain
    copy of the template older versions made) is rewritten when the settings changed; a hand-made one
    is left alone, with a warning when it differs. Returns "written", "unchanged" or "kept"."""
    config = home / "dagster.yaml"
    wanted = instance_yaml(settings, home)
    if config.exists():
        current = config.read_text()
        if current == wanted:
            return "unchanged"
        if not written_by_ella(current):
            if notify:
                notify(
                    f"warning: {config} was not written by `ella init`; left as it is (it differs from what "
                    f"these settings would write: {InstanceSettings.of(settings).describe()})"
                )
            return "kept"
    tmp = config.with_name(f".dagster.yaml.{os.getpid()}.tmp")
    tmp.write_text(wanted)
    os.replace(tmp, config)  # atomic: another process never reads half a file
    return "written"


def written_by_ella(text: str) -> bool:
    """Whether a dagster.yaml is ours to rewrite: our header, or a plain copy of the template."""
    import hashlib

    return (
        text.startswith(HEADER)
        or text == TEMPLATE.read_text()
        or hashlib.sha256(text.encode()).hexdigest() in EARLIER_TEMPLATES_SHA256
    )


def home_path(settings: Settings) -> Path:
    """$DAGSTER_HOME, by default data/dagster_home (read with the other settings)."""
    return settings.dagster.home


def dagster_home(settings: Settings, notify: Callable[[str], None] | None = None) -> Path:
    """$DAGSTER_HOME (default data/dagster_home) with the dagster.yaml for these settings; the
    instance's storage is created and migrated here, once (two processes creating a fresh SQLite home
    at once would leave two migration heads)."""
    home = home_path(settings)
    home.mkdir(parents=True, exist_ok=True)
    production = InstanceSettings.of(settings)
    written = write_instance_config(home, settings, notify)
    # Its database before anything opens the instance; a hand-made file names its own storage.
    target = production.postgres if written != "kept" else None
    if target and ensure_postgres_database(settings, target) and notify:
        notify(f"created database {target.db_name} for the Dagster instance")
    if written == "written" and notify:
        notify(f"wrote {home / 'dagster.yaml'}")
    os.environ["DAGSTER_HOME"] = str(home)
    prepare_environment(settings)
    from dagster import DagsterInstance

    with DagsterInstance.get():  # creates and migrates the instance's storage
        pass
    return home


def _exec(argv: list[str]) -> int:
    """`python -m ella_dagster.instance exec CMD...`: runs CMD (a webserver, a daemon) with the
    environment prepared as `ella` prepares its own."""
    if not argv:
        print("usage: python -m ella_dagster.instance exec CMD [ARG...]", file=sys.stderr)
        return 2
    prepare_environment(current())
    os.execvp(argv[0], argv)
    return 127  # not reached


if __name__ == "__main__":
    if sys.argv[1:2] == ["exec"]:
        sys.exit(_exec(sys.argv[2:]))
    print("usage: python -m ella_dagster.instance exec CMD [ARG...]", file=sys.stderr)
    sys.exit(2)
