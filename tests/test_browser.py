"""The Dagster UI as a person uses it, in headless Chromium (Debian's `chromium`, which `make test`
installs; no browser download): over a `dagster dev` that processed real uploads, a document is found
by its case and file name and opened on its partition page, and the backfill link `ella reclassify`
prints opens the backfill's partition table."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from ella_dagster.db.models import RawImage
from ella_dagster.db.session import Database
from ella_dagster.pipeline.intake import seed_demo
from tests.test_backfills import dagster_dev, ella, environment, wait_processed

pytestmark = [pytest.mark.browser, pytest.mark.daemon, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser():
    if CHROMIUM is None:
        pytest.skip("no chromium binary here (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_page(browser, url: str):
    """A page at `url` with Dagster's first-visit newsletter dialog dismissed (it covers the page)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(url)
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.wait_for(timeout=10_000)
        skip.click()
    except Exception:  # noqa: BLE001 - the dialog is not always shown
        pass
    return page


def test_a_document_is_found_by_case_and_file_name_and_a_backfill_link_opens(
    tmp_path: Path, generated, browser, monkeypatch
) -> None:
    env = environment(tmp_path)
    assert ella(env, "init").returncode == 0 and ella(env, "seed-demo").returncode == 0
    db = Database(f"sqlite:///{tmp_path / 'data' / 'ella.db'}")
    seed_demo(db, case_id="case_other", client_name="Tran Thi B")
    # The same file name in two cases: only the case tells them apart.
    files = {
        "case_demo": [("w2.png", "w2"), ("nec.png", "1099nec")],
        "case_other": [("w2.png", "w2"), ("letter.png", "unknown")],
    }
    with dagster_dev(env) as url:
        for case, named in files.items():
            paths = []
            for name, kind in named:
                folder = tmp_path / "uploads" / case
                folder.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(generated[kind].data)
                paths.append(str(folder / name))
            assert ella(env, "upload", "--case", case, *paths).returncode == 0
        wait_processed(db, 4)
        with db.transaction() as s:
            wanted = s.scalars(
                select(RawImage.id).where(RawImage.case_id == "case_demo", RawImage.original_filename == "w2.png")
            ).one()
            other = s.scalars(
                select(RawImage.id).where(RawImage.case_id == "case_other", RawImage.original_filename == "w2.png")
            ).one()

        # The day's metrics (the schedule's job, run here at once) list the uploads with their partitions.
        from dagster import DagsterInstance, materialize

        from ella_dagster.assets import build_metrics_asset
        from ella_dagster.config import Settings
        from ella_dagster.resources import DatabaseResource, EngineResource

        monkeypatch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
        monkeypatch.setenv("ELLA_DATA_DIR", env["ELLA_DATA_DIR"])
        with DagsterInstance.get() as instance:
            assert materialize(
                [build_metrics_asset(Settings.from_env())],
                partition_key=dt.date.today().isoformat(),
                instance=instance,
                resources={"db": DatabaseResource(url=db.url), "engine": EngineResource()},
            ).success

        # Find the document by case and file name: the uploads table of the metrics asset, then its link.
        page = open_page(browser, f"{url}/assets/confidence_metrics")
        rows = page.locator("tr:not(:has(tr))")  # the table's own rows, not the metadata row around it
        row = rows.filter(has_text="case_demo").filter(has_text="w2.png")
        row.first.wait_for()
        assert row.count() == 1
        row.first.locator("a").click()
        page.wait_for_url(re.compile(r".*/assets/document_hash\?view=partitions&partition=.*"))
        assert page.url.endswith(f"partition={wanted}") and other not in page.url
        # The partition page shows which document this is: its case and file name in the metadata.
        entries = page.locator("tr:not(:has(tr))")
        entries.filter(has_text="case").filter(has_text="case_demo").first.wait_for()
        entries.filter(has_text="file").filter(has_text="w2.png").first.wait_for()
        assert page.get_by_text("Materialized", exact=True).first.is_visible()
        assert entries.filter(has_text="case_other").count() == 0
        page.close()

        # The link `ella reclassify` prints opens the backfill's partition table.
        done = ella(env, "reclassify", "--doc-type", "W-2", "--case", "case_demo", "--no-wait", "--url", url)
        assert done.returncode == 0, done.stderr
        [link] = re.findall(r"launched: (\S+)", done.stdout)
        assert link.startswith(f"{url}/runs/b/")
        page = open_page(browser, link)
        # A backfill of the named job (not __ASSET_JOB): its table of partitions targeted, in progress,
        # succeeded and failed.
        page.get_by_text("Partitions targeted").wait_for()
        assert page.get_by_text("process_documents", exact=True).first.is_visible()
        page.get_by_text("1 partition", exact=True).wait_for()
        page.get_by_role("tab", name="Runs").click()
        page.get_by_text("reclassify").first.wait_for()  # the run, tagged ella/command=reclassify
        page.close()
