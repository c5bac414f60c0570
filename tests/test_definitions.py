"""The code location loads as the daemon and webserver load it, and says what it is made of."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey

from ella_dagster.config import PROJECT_ROOT
from ella_dagster.definitions import defs

pytestmark = [pytest.mark.slow]

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


def test_the_workspace_loads(tmp_path: Path) -> None:
    result = validate(tmp_path, "-w", str(PROJECT_ROOT / "workspace.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_code_location_fails_validation(tmp_path: Path) -> None:
    (tmp_path / "broken_location.py").write_text(
        "from dagster import Definitions, define_asset_job\n"
        "from ella_dagster.definitions import defs as good\n"
        "defs = Definitions.merge(good, Definitions(jobs=[define_asset_job('broken', selection=['no_such_asset'])]))\n"
    )
    result = validate(tmp_path, "-m", "broken_location", cwd=tmp_path, PYTHONPATH=str(tmp_path))
    assert result.returncode == 1 and "Validation for 1 code locations failed" in result.stdout + result.stderr


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
