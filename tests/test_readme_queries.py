"""The README's SQL examples run as they are in sqlite3 and psql against a migrated database."""

import re
import shutil
import subprocess

import pytest

from ella_dagster import metrics
from ella_dagster.config import PROJECT_ROOT
from ella_dagster.db.models import Action
from tests.test_metrics import DAY, load_known

QUERIES = re.findall(r"```sql\n(.*?)```", (PROJECT_ROOT / "README.md").read_text(), re.DOTALL)


def run_cli(database, query: str) -> str:
    if database.url.startswith("sqlite"):
        command = [shutil.which("sqlite3") or "sqlite3", database.url.split("///", 1)[1]]
    else:
        name = database.url.rsplit("/", 1)[1]
        command = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-v", "ON_ERROR_STOP=1", "-A", "-t"]
    done = subprocess.run(command, input=query, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    return done.stdout


def test_the_readme_has_queries() -> None:
    assert len(QUERIES) >= 4


@pytest.mark.parametrize("index", range(4))
def test_readme_query_runs_in_sqlite3_and_psql(database, index: int) -> None:
    load_known(database)
    metrics.compute_day(database, DAY)
    with database.transaction() as s:
        s.add(
            Action(
                id="act1",
                case_id="case_demo",
                raw_image_id="doc3",
                type="VERIFY_DOCS",
                priority="NORMAL",
                title="Xác minh phân loại",
                description="W2: 70%",
                metadata_json={},
            )
        )
    out = run_cli(database, QUERIES[index])
    expected = [
        "W2|auto-linked|3|0.947",
        "2026-02-03|W2|offline-tesseract|4|0.7625",
        "v1|7|0.571",
        "VERIFY_DOCS|NORMAL|Xác minh phân loại|f|W2",
    ][index]
    assert expected in out, out
