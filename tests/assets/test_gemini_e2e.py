"""A document through Dagster with the Gemini engine (stand-in server): metadata shows model, tokens,
latency and attempts; `ella health` reports the engine."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import instance_for_test, materialize

from ella_dagster.assets import build_document_assets
from ella_dagster.config import PROJECT_ROOT, Settings
from ella_dagster.db.models import RawImage
from ella_dagster.engines import gemini
from ella_dagster.pipeline.intake import register_upload, seed_demo, upload_files
from ella_dagster.resources import DatabaseResource, LocalDocumentStoreResource, engine_resource
from tests.support.gemini_standin import KEY, GeminiStandIn, answers

pytestmark = [pytest.mark.slow]


def test_gemini_document_through_dagster(sqlite_db, local_store, generated, tmp_path: Path, monkeypatch) -> None:
    gemini._working_model.clear()
    seed_demo(sqlite_db)
    [upload] = upload_files(sqlite_db, local_store, "case_demo", [("w2.png", generated["w2"].data)])
    for marker in local_store.new_uploads(None, 10):
        register_upload(sqlite_db, local_store, marker)
    (tmp_path / "home").mkdir()
    with (
        GeminiStandIn(responder=answers(confidence=0.93)) as server,
        instance_for_test(temp_dir=str(tmp_path / "home")) as instance,
    ):
        monkeypatch.setenv("GEMINI_API_KEY", KEY)
        monkeypatch.setenv("GEMINI_BASE_URL", server.url)
        monkeypatch.setenv("ELLA_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("GEMINI_RPM", "100")
        monkeypatch.setenv("ELLA_ENGINE", "gemini")
        settings = Settings.from_env()  # the assets and the engine resource from one settings object
        instance.add_dynamic_partitions("documents", [upload.upload_id])
        result = materialize(
            build_document_assets(settings),
            partition_key=upload.upload_id,
            instance=instance,
            resources={
                "db": DatabaseResource(url=sqlite_db.url),
                "store": LocalDocumentStoreResource(root=str(local_store.root)),
                "engine": engine_resource(settings),
            },
        )
    assert result.success
    events = {e.asset_key.path[-1]: e.materialization.metadata for e in result.get_asset_materialization_events()}
    classification = events["classification"]
    assert classification["engine"].value == "gemini" and classification["engine_model"].value == "gemini-2.5-flash"
    assert classification["engine_total_tokens"].value == 1240 and classification["engine_attempts"].value == 1
    assert "engine_latency_seconds" in classification and events["ocr_extract"]["engine_total_tokens"].value == 1240
    assert "123-45-6789" not in json.dumps({k: str(v.value) for m in events.values() for k, v in m.items()})
    with sqlite_db.transaction() as s:
        assert s.get(RawImage, upload.upload_id).status == "LINKED"


def test_health_command_reports_gemini(tmp_path: Path) -> None:
    with GeminiStandIn(models=("gemini-2.5-flash",)) as server:
        env = {
            **os.environ,
            "GEMINI_API_KEY": KEY,
            "GEMINI_BASE_URL": server.url,
            "ELLA_DATA_DIR": str(tmp_path),
            "GEMINI_FALLBACK_MODELS": "gemini-2.5-flash-lite",
        }
        done = subprocess.run(
            [str(Path(sys.executable).parent / "ella"), "health"],
            env=env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["engine"] == "gemini" and report["healthy"] is True
    assert report["gemini"]["models"]["gemini-2.5-flash"] == "ok"
    assert "404" in report["gemini"]["models"]["gemini-2.5-flash-lite"]
    assert KEY not in done.stdout
