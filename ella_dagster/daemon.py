"""Starting and stopping a real `dagster-daemon` on this project's workspace (demo, tests, benchmarks)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from ella_dagster.config import PROJECT_ROOT

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


def start_daemon(env: dict[str, str] | None = None, log_path: Path | None = None) -> subprocess.Popen[bytes]:
    """The daemon runs the sensors, the run queue and the backfills, in its own process group."""
    executable = Path(sys.executable).with_name("dagster-daemon")
    command = [str(executable), "run", "-w", str(PROJECT_ROOT / "workspace.yaml")]
    if log_path is None:
        return subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env or os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env or os.environ.copy(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Interrupts the daemon (and the runs it started) and waits; kills what does not stop."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
