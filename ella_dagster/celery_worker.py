"""Run workers on Celery: `ella worker` runs the app of the instance's CeleryRunLauncher.

The daemon's run queue hands each run to dagster-celery's CeleryRunLauncher, which sends it as an
`execute_job` task to the broker. A worker is the same Celery app (built from the same
$DAGSTER_HOME/dagster.yaml, so the same broker, backend, queue and settings) with dagster-celery's
run tasks registered; each task executes the whole run in a worker process, loading the code location
(`ella_dagster.definitions`) and the instance from this machine's DAGSTER_HOME and ELLA_* settings.
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

from celery import Celery

from ella_dagster.config import Settings, current
from ella_dagster.instance import CELERY_QUEUE, home_path


class NoCeleryLauncher(Exception):
    """DAGSTER_HOME's dagster.yaml does not launch runs on Celery."""


def celery_app(home: Path | None = None, settings: Settings | None = None) -> Celery:
    """The Celery app of DAGSTER_HOME's CeleryRunLauncher, with the run tasks registered. Only the
    launcher is built from the instance config: no storage is opened, so nothing is shared with the
    worker processes Celery forks."""
    from dagster._core.instance.ref import InstanceRef
    from dagster._core.launcher import RunLauncher
    from dagster_celery.launcher import CeleryRunLauncher
    from dagster_celery.tasks import create_execute_job_task, create_resume_job_task

    home = home or home_path(settings or current())
    if not (home / "dagster.yaml").exists():
        raise NoCeleryLauncher(f"no {home / 'dagster.yaml'} (run `ella init`)")
    data = InstanceRef.from_dir(str(home)).run_launcher_data
    launcher = data.rehydrate(as_type=RunLauncher) if data else None
    if not isinstance(launcher, CeleryRunLauncher):
        raise NoCeleryLauncher(
            f"{home / 'dagster.yaml'} does not launch runs on Celery (set ELLA_CELERY_BROKER_URL and run `ella init`)"
        )
    app = launcher.celery
    create_execute_job_task(app)
    create_resume_job_task(app)
    return app


def run_worker(
    concurrency: int,
    name: str | None = None,
    loglevel: str = "INFO",
    max_tasks_per_child: int = 20,
    settings: Settings | None = None,
) -> int:
    """Starts a Celery worker in this process (until SIGTERM/SIGINT): `concurrency` runs at a time,
    each in a forked process recycled after `max_tasks_per_child` runs."""
    app = celery_app(settings=settings)
    # Import the code location once here, before Celery forks: every run starts warm.
    import ella_dagster.definitions  # noqa: F401

    # Keep the real stdout/stderr: Celery would swap them for logging proxies with no file descriptor,
    # and Dagster captures a run's compute logs (to S3) by redirecting those descriptors.
    app.conf.worker_redirect_stdouts = False
    nodename = f"{name or f'ella-{uuid.uuid4().hex[:6]}'}@{socket.gethostname()}"
    argv = [
        "worker",
        f"--concurrency={concurrency}",
        f"--loglevel={loglevel}",
        f"--queues={CELERY_QUEUE}",
        f"--hostname={nodename}",
        f"--max-tasks-per-child={max_tasks_per_child}",
        "--prefetch-multiplier=1",
    ]
    app.worker_main(argv=argv)
    return 0
