"""The Dagster home the CLI, demo and daemon share."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ella_dagster.config import PROJECT_ROOT, Settings


def dagster_home(settings: Settings) -> Path:
    """$DAGSTER_HOME, or data/dagster_home with the project's dagster.yaml; initialised once here
    (two processes creating a fresh SQLite home at once would leave two migration heads)."""
    home = Path(os.environ.get("DAGSTER_HOME") or settings.data_dir / "dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(PROJECT_ROOT / "dagster.yaml", config)
    os.environ["DAGSTER_HOME"] = str(home)
    from dagster import DagsterInstance

    with DagsterInstance.get():  # creates and migrates the instance's storage
        pass
    return home
