"""Each stage's code version follows the rules it depends on, so a change marks exactly those stages."""

from __future__ import annotations

import dataclasses

import pytest

from ella_dagster.assets.documents import SPECS, stage_code_versions
from ella_dagster.config import Settings
from ella_dagster.domain import extraction, naming, routing
from ella_dagster.domain.doc_types import DocType

STAGES = ["document_hash", "classification", "routing", "renamed_key", "ocr_extract", "digital_doc"]


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.from_env({"ELLA_DATA_DIR": str(tmp_path)})


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [stage for stage in STAGES if before[stage] != after[stage]]


def test_every_stage_shows_a_code_version() -> None:
    assert all(spec.code_version for spec in SPECS)
    assert [spec.key.to_user_string() for spec in SPECS] == STAGES


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
