"""The code location loads as the daemon and webserver load it, and says what it is made of."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey, EnvVar

from ella_dagster.config import PROJECT_ROOT, Settings, SettingsError
from ella_dagster.definitions import build_definitions, defs

BIN = Path(sys.executable).parent
STAGES = ["document_hash", "classification", "routing", "renamed_key", "ocr_extract", "digital_doc"]


def validate(tmp_path: Path, *args: str, cwd: Path = PROJECT_ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate", *args],
        cwd=cwd,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow  # a `dagster definitions validate` process
def test_the_workspace_loads(tmp_path: Path) -> None:
    result = validate(tmp_path, "-w", str(PROJECT_ROOT / "workspace.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # a `dagster definitions validate` process
def test_a_broken_code_location_fails_validation(tmp_path: Path) -> None:
    (tmp_path / "broken_location.py").write_text(
        "from dagster import Definitions, define_asset_job\n"
        "from ella_dagster.definitions import defs as good\n"
        "defs = Definitions.merge(good, Definitions(jobs=[define_asset_job('broken', selection=['no_such_asset'])]))\n"
    )
    result = validate(tmp_path, "-m", "broken_location", cwd=tmp_path, PYTHONPATH=str(tmp_path))
    assert result.returncode == 1 and "Validation for 1 code locations failed" in result.stdout + result.stderr


@pytest.mark.slow  # a `dagster definitions validate` process
def test_an_unknown_setting_stops_the_code_location_loudly(tmp_path: Path) -> None:
    """ELLA_STORE=S3 used to mean the local folder without a word; now a value that cannot be used
    fails the location's load, naming the variable."""
    result = validate(tmp_path, "-w", str(PROJECT_ROOT / "workspace.yaml"), ELLA_STORE="s4")
    assert result.returncode != 0 and "ELLA_STORE='s4' is not one of local, s3" in result.stdout + result.stderr


def test_definition_snapshot() -> None:
    """What the UI shows; a change here is a change engineers will see, so it is made on purpose."""
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    assert sorted(k.to_user_string() for k in graph.get_all_asset_keys()) == sorted([*STAGES, "confidence_metrics"])
    assert sorted(repo.job_names) == ["__ASSET_JOB", "process_documents", "refresh_confidence_metrics"]
    assert sorted(s.name for s in repo.sensor_defs) == ["new_uploads_sensor", "stuck_documents_sensor"]
    assert [s.name for s in repo.schedule_defs] == ["confidence_metrics_schedule"]
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert {name for asset, name in checks if asset in STAGES} == {
        "not_a_duplicate",
        "recorded_in_history",
        "confidence_not_low",
        "row_matches_classification",
        "key_follows_convention",
        "object_exists",
        "valid_against_schema",
        "key_fields_present",
        "key_fields_confident",
        "agrees_with_raw_image",
    }
    for stage in STAGES:  # one multi-asset, one partitions definition, one step per batch
        node = graph.get(AssetKey(stage))
        assert node.assets_def.node_def.name == "document_pipeline"
        assert node.partitions_def.name == "documents"
    assert graph.get(AssetKey("classification")).code_version


def test_the_location_is_built_from_the_settings_object(tmp_path: Path) -> None:
    """Two settings objects, two code locations: the sensors' intervals and limits, the engine pool,
    the backfill batch and the code versions follow the object given, not what was read at import."""

    def location(**env: str):
        settings = Settings.from_env({"ELLA_DATA_DIR": str(tmp_path), **env})
        return build_definitions(settings).get_repository_def()

    embedded = location()
    tuned = location(
        ELLA_ENGINE="gemini",
        ELLA_SENSOR_INTERVAL_SECONDS="17",
        ELLA_STUCK_AFTER_MINUTES="3",
        ELLA_BATCH_SIZE="7",
        ELLA_ENGINE_REVISION="r9",
    )
    intervals = {repo: {s.name: s.minimum_interval_seconds for s in repo.sensor_defs} for repo in (embedded, tuned)}
    assert intervals[embedded]["new_uploads_sensor"] == 2 and intervals[tuned]["new_uploads_sensor"] == 17
    uploads = tuned.get_sensor_def("new_uploads_sensor").description
    assert "batch of 7 documents" in uploads
    assert "3 minutes" in tuned.get_sensor_def("stuck_documents_sensor").description
    pipeline = {repo: repo.assets_defs_by_key[AssetKey("classification")] for repo in (embedded, tuned)}
    assert pipeline[embedded].node_def.pool is None and pipeline[tuned].node_def.pool == "gemini"
    assert pipeline[embedded].backfill_policy.max_partitions_per_run == 25
    assert pipeline[tuned].backfill_policy.max_partitions_per_run == 7
    versions = {repo: repo.asset_graph.get(AssetKey("classification")).code_version for repo in (embedded, tuned)}
    assert versions[embedded].startswith("offline+") and versions[tuned].startswith("gemini+")
    assert versions[tuned].endswith("+r9")


def test_a_secret_is_configured_by_its_variable_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The resource page shows ELLA_DATABASE_URL, not a URL with its password; a password that did
    not come from the environment cannot be configured at all (it would be shown)."""
    url = "postgresql+psycopg://ella:pw-7d2e@db.internal/ella"
    monkeypatch.setenv("ELLA_DATABASE_URL", url)
    settings = Settings.from_env({"ELLA_DATA_DIR": str(tmp_path), "ELLA_DATABASE_URL": url})
    resources = build_definitions(settings).resources
    assert resources["db"].url == EnvVar("ELLA_DATABASE_URL")
    assert "pw-7d2e" not in repr(resources)
    monkeypatch.delenv("ELLA_DATABASE_URL")
    with pytest.raises(SettingsError, match="ELLA_DATABASE_URL holds a secret"):
        build_definitions(settings)
    # libpq's ?password= is as much a secret as the URL's own
    query = Settings.from_env(
        {"ELLA_DATA_DIR": str(tmp_path), "ELLA_DATABASE_URL": "postgresql+psycopg://e@db/x?password=Q7"}
    )
    with pytest.raises(SettingsError, match="ELLA_DATABASE_URL holds a secret"):
        build_definitions(query)
    # Without a password the URL is shown as it is; the embedded default holds no secret.
    plain = Settings.from_env({"ELLA_DATA_DIR": str(tmp_path), "ELLA_DATABASE_URL": "postgresql+psycopg://ella@db/x"})
    assert build_definitions(plain).resources["db"].url == "postgresql+psycopg://ella@db/x"
