"""Each stage's code version follows the rules it depends on, so a change marks exactly those stages."""

from __future__ import annotations

import dataclasses

import pytest
from dagster import AssetKey

from ella_dagster.assets.documents import build_document_assets, stage_code_versions
from ella_dagster.config import Settings
from ella_dagster.definitions import build_definitions
from ella_dagster.domain import extraction, naming, routing
from ella_dagster.domain.doc_types import DocType

STAGES = ["document_hash", "classification", "routing", "renamed_key", "ocr_extract", "digital_doc"]


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.from_env({"ELLA_DATA_DIR": str(tmp_path)})


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [stage for stage in STAGES if before[stage] != after[stage]]


def test_every_stage_shows_a_code_version(settings) -> None:
    [pipeline] = build_document_assets(settings)
    specs = list(pipeline.specs)
    assert all(spec.code_version for spec in specs)
    assert [spec.key.to_user_string() for spec in specs] == STAGES


def test_a_threshold_change_marks_routing_only(settings, monkeypatch) -> None:
    before = stage_code_versions(settings)
    monkeypatch.setattr(routing, "AUTO_LINK_THRESHOLD", routing.AUTO_LINK_THRESHOLD + 0.05)
    assert changed(before, stage_code_versions(settings)) == ["routing"]


def test_a_naming_change_marks_renamed_key_only(settings, monkeypatch) -> None:
    before = stage_code_versions(settings)
    monkeypatch.setattr(naming, "NAMING_VERSION", naming.NAMING_VERSION + "-next")
    assert changed(before, stage_code_versions(settings)) == ["renamed_key"]


def test_a_schema_change_marks_extraction_and_the_digital_doc(settings, monkeypatch) -> None:
    before = stage_code_versions(settings)
    w2 = extraction.SCHEMAS[DocType.W2]
    monkeypatch.setitem(extraction.SCHEMAS, DocType.W2, dataclasses.replace(w2, version=w2.version + ".1"))
    assert changed(before, stage_code_versions(settings)) == ["ocr_extract", "digital_doc"]


def test_an_engine_revision_marks_classification_and_extraction(tmp_path, settings) -> None:
    revised = Settings.from_env({"ELLA_DATA_DIR": str(tmp_path), "ELLA_ENGINE_REVISION": "r2"})
    assert changed(stage_code_versions(settings), stage_code_versions(revised)) == ["classification", "ocr_extract"]


@pytest.mark.parametrize("engine", ["offline", "gemini"])
def test_the_code_version_shown_names_the_engine_the_resources_build(tmp_path, monkeypatch, engine) -> None:
    """The classification code version in the UI and the engine a run gets come from one settings
    object: with ELLA_ENGINE=gemini both say gemini and the same model."""
    for name in ("ELLA_DATABASE_URL", "ELLA_ENGINE_REVISION", "GEMINI_BASE_URL", "GEMINI_FALLBACK_MODELS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ELLA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ELLA_ENGINE", engine)
    monkeypatch.setenv("GEMINI_API_KEY", "test-key-not-real-0001")
    monkeypatch.setenv("GEMINI_MODEL", "gemini-2.5-pro")
    settings = Settings.from_env()
    defs = build_definitions(settings)
    repo = defs.get_repository_def()
    shown = repo.asset_graph.get(AssetKey("classification")).code_version
    built = defs.resources["engine"].process_config_and_initialize().get_engine()  # as a run gets it
    assert built.name.split("-")[0] == engine  # gemini, offline-tesseract
    assert shown.startswith(f"{engine}+")
    if engine == "gemini":
        assert built.version == "gemini-2.5-pro+" + shown.split("+", 2)[2]  # model + prompt version
        assert shown.startswith("gemini+gemini-2.5-pro+")
        assert repo.assets_defs_by_key[AssetKey("classification")].node_def.pool == "gemini"
    else:
        assert built.version.endswith(shown.removeprefix("offline+"))  # tesseract-<v>+<rules version>
    # The key is configured by the variable's name, never its value (the UI's resource page).
    config = repr(defs.resources["engine"])
    assert "test-key-not-real-0001" not in config
