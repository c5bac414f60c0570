"""The README's SQL examples run as they are in sqlite3 and psql against a migrated database."""

import datetime as dt
import re
import shutil
import subprocess

import pytest

from ella_dagster import metrics
from ella_dagster.config import PROJECT_ROOT
from ella_dagster.db.models import Action
from tests.support.rows import history
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


STAFF_LABELS = [("doc0", "W2"), ("doc2", "FORM_1099_INT"), ("doc5", "OTHER")]


def add_staff_labels(database) -> None:
    """Staff confirm doc0 (W2 0.95) and correct doc2 (W2 0.70) and doc5 (UNKNOWN 0.10), as `ella verify` does."""
    with database.transaction() as s:
        for doc, label in STAFF_LABELS:
            row = history(doc, label, 1.0, dt.datetime.combine(DAY, dt.time(12)))
            row.engine = row.engine_version = "staff"
            s.add(row)


def test_the_readme_has_queries() -> None:
    assert len(QUERIES) >= 5


@pytest.mark.parametrize("index", range(5))
def test_readme_query_runs_in_sqlite3_and_psql(database, index: int) -> None:
    load_known(database)
    metrics.compute_day(database, DAY)
    if index == 3:
        add_staff_labels(database)
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
        "v1|review|1|0.7",
        "VERIFY_DOCS|NORMAL|Xác minh phân loại|f|W2",
    ][index]
    assert expected in out, out
    if index == 3:  # one answer per band, right only in the auto band
        rows = [line.split("|") for line in out.split() if line.startswith("v1|")]
        assert [(r[1], r[2], float(r[4])) for r in rows] == [
            ("auto", "1", 1.0),
            ("low", "1", 0.0),
            ("review", "1", 0.0),
        ]


PANDAS = re.findall(r"```python\n(.*?)```", (PROJECT_ROOT / "README.md").read_text(), re.DOTALL)


def test_the_readme_pandas_recipe_loads_the_views(database, monkeypatch) -> None:
    [recipe] = [block for block in PANDAS if "read_sql" in block]
    load_known(database)
    metrics.compute_day(database, DAY)
    monkeypatch.setenv("ELLA_DATABASE_URL", database.url)
    scope: dict = {}
    exec(compile(recipe, "README.md", "exec"), scope)
    latest, daily = scope["latest"], scope["daily"]
    assert len(latest) == 7 and set(latest["engine_version"]) == {"v1"}
    assert sorted(daily["doc_type"]) == ["SSN_CARD", "UNKNOWN", "W2"]
    assert scope["by_version"].loc["v1", "count"] == 7
    assert scope["weekly"].sum() == 6
