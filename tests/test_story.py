"""`ella show DOC`: one document's story from the database and from Dagster, with no PII."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize
from dagster._core.instance.ref import InstanceRef

from ella_dagster.assets import build_document_assets
from ella_dagster.config import PROJECT_ROOT, Settings
from ella_dagster.db.session import Database
from ella_dagster.pipeline.intake import seed_demo
from ella_dagster.resources import DatabaseResource, EngineResource, LocalDocumentStoreResource
from ella_dagster.store import LocalDocumentStore
from ella_dagster.story import add_dagster, from_database
from tests.support.pipeline import ingest

DOCUMENT_ASSETS = build_document_assets(Settings.from_env({}))  # the default settings' assets

pytestmark = [pytest.mark.slow]


def test_a_processed_w2_tells_its_whole_story(tmp_path: Path, generated) -> None:
    env = {**os.environ, "ELLA_DATA_DIR": str(tmp_path / "data"), "DAGSTER_HOME": str(tmp_path / "home")}
    ella = [str(Path(sys.executable).parent / "ella")]
    assert subprocess.run([*ella, "init"], env=env, cwd=PROJECT_ROOT, capture_output=True).returncode == 0
    db = Database(f"sqlite:///{tmp_path / 'data' / 'ella.db'}")
    store = LocalDocumentStore(tmp_path / "data" / "store")
    seed_demo(db)
    [doc] = ingest(db, store, "case_demo", [("w2 123-45-6789.png", generated["w2"].data)])
    instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path / "home")))
    instance.add_dynamic_partitions("documents", [doc])
    resources = {
        "db": DatabaseResource(url=db.url),
        "store": LocalDocumentStoreResource(root=str(store.root)),
        "engine": EngineResource(),
    }
    run = materialize(DOCUMENT_ASSETS, partition_key=doc, instance=instance, resources=resources)

    story = from_database(db, doc)
    add_dagster(story, instance, "http://127.0.0.1:3000")
    assert story.document["status"] == "LINKED" and story.document["type"] == "W2"
    assert story.document["file"] == "w2 ***-**-6789.png"  # masked
    assert [h["type"] for h in story.history] == ["W2"]
    assert story.stages == dict.fromkeys(story.stages, "MATERIALIZED") and len(story.stages) == 6
    assert [r["run"] for r in story.runs] == [run.run_id]
    assert story.runs[0]["link"] == f"http://127.0.0.1:3000/runs/{run.run_id}"
    assert "wages" in story.extraction["fields"] and story.digital_doc["status"] in ("EXTRACTED", "PARTIAL")

    shown = subprocess.run([*ella, "show", doc, "--json"], env=env, capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    payload = json.loads(shown.stdout)
    assert payload["stages"]["digital_doc"] == "MATERIALIZED" and payload["runs"][0]["run"] == run.run_id
    assert generated["w2"].fields["employee_ssn"] not in shown.stdout and "123-45-6789" not in shown.stdout
    table = subprocess.run([*ella, "show", doc], env={**env, "COLUMNS": "200"}, capture_output=True, text=True)
    assert "classification history" in table.stdout and "MATERIALIZED" in table.stdout
    missing = subprocess.run([*ella, "show", "nope"], env=env, capture_output=True, text=True)
    assert missing.returncode == 2 and "no document 'nope'" in missing.stderr
