"""Starting and stopping a real `dagster-daemon` on this project's workspace (demo, tests, benchmarks)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Collection
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from ella_dagster.config import PROJECT_ROOT
from ella_dagster.db.session import Database

UNFINISHED = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


def runs_in_flight(instance: DagsterInstance) -> int:
    """Runs queued or running. A run records its materialisations and checks after a document's last
    database write: stop the daemon only when this is 0, or the UI shows an interrupted run."""
    return instance.get_runs_count(RunsFilter(statuses=UNFINISHED))


def start_daemon(
    env: dict[str, str] | None = None, log_path: Path | None = None, workspace: Path | None = None
) -> subprocess.Popen[bytes]:
    """The daemon runs the sensors, the run queue and the backfills, in its own process group (so a
    caller can stop it with its code server and runs). `workspace` defaults to the project's own."""
    executable = Path(sys.executable).with_name("dagster-daemon")
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") if log_path else open(os.devnull, "wb") as output:
        return subprocess.Popen(
            [str(executable), "run", "-w", str(workspace or PROJECT_ROOT / "workspace.yaml")],
            cwd=PROJECT_ROOT,
            env=env or os.environ.copy(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until_processed(
    db: Database,
    instance: DagsterInstance,
    ids: Collection[str] | int,
    timeout: float,
    daemon: subprocess.Popen[bytes] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> bool:
    """True once the documents (these ids and any documents split out of them, or this many of any)
    are processed in the database and no run is in flight; False on timeout or when the daemon exits
    first."""
    from sqlalchemy import func, select

    from ella_dagster.db.models import RawImage

    processed = RawImage.processed_at.is_not(None)
    if isinstance(ids, int):  # this many uploads, and every document split out of any of them
        query = select(func.count()).where(processed, RawImage.parent_id.is_(None))
        children = select(func.count()).where(RawImage.parent_id.is_not(None))
        children_done = select(func.count()).where(RawImage.parent_id.is_not(None), processed)
    else:  # these uploads and the documents a split made of them (issue 14)
        query = select(func.count()).where(processed, RawImage.id.in_(list(ids)))
        children = select(func.count()).where(RawImage.parent_id.in_(list(ids)))
        children_done = select(func.count()).where(RawImage.parent_id.in_(list(ids)), processed)
    uploads = ids if isinstance(ids, int) else len(ids)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.transaction() as s:
            split_out = s.scalar(children) or 0
            done = (s.scalar(query) or 0) + (s.scalar(children_done) or 0)
            expected = uploads + split_out
        if on_progress:
            on_progress(done)
        if done >= expected and runs_in_flight(instance) == 0:
            return True
        if daemon is not None and daemon.poll() is not None:
            return False
        time.sleep(1)
    return False


def stop(process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Interrupts the daemon (and the runs it started) and waits; kills what does not stop."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
