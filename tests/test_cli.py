"""`ella classify`: the engine on files without the database, one JSON object per file with --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ella_dagster.cli import main

KEYS = {"path", "doc_type", "confidence", "tax_year", "source", "category", "pages", "fields"}


def _classify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict]]:
    code = main(["classify", "--json", *args])
    return code, [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_classify_prints_one_json_object_per_file(tmp_path: Path, generated, capsys, monkeypatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)  # the offline engine
    w2 = tmp_path / "w2.png"
    w2.write_bytes(generated["w2"].data)
    letter = tmp_path / "letter.png"
    letter.write_bytes(generated["unknown"].data)
    code, records = _classify(capsys, str(w2), str(letter))
    assert code == 0 and len(records) == 2
    first, second = records
    assert set(first) >= KEYS
    truth = generated["w2"].fields
    assert (first["doc_type"], first["category"], first["tax_year"], first["pages"]) == ("W2", "INCOME", 2024, 1)
    assert first["source"] == truth["employer_name"] and first["fields"]["wages"] == truth["wages"]
    # SSNs are masked unless asked for; each field carries its validators' confidence.
    assert first["fields"]["employee_ssn"] != truth["employee_ssn"]
    assert first["fields"]["employee_ssn"].endswith(truth["employee_ssn"][-4:])
    assert first["field_confidence"]["wages"] >= 0.85
    assert second["doc_type"] in ("UNKNOWN", "OTHER") and second["confidence"] < 0.6 and second["fields"] == {}


def test_show_pii_prints_the_values_as_read(tmp_path: Path, generated, capsys, monkeypatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    card = tmp_path / "card.png"
    card.write_bytes(generated["ssn_card"].data)
    _, [record] = _classify(capsys, "--show-pii", str(card))
    assert record["doc_type"] == "SSN_CARD" and record["fields"]["ssn"] == generated["ssn_card"].fields["ssn"]


def test_a_bad_file_is_reported_and_the_rest_go_on(tmp_path: Path, generated, capsys, monkeypatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    bad = tmp_path / "broken.png"
    bad.write_bytes(generated["corrupt"].data)
    good = tmp_path / "nec.png"
    good.write_bytes(generated["1099nec"].data)
    code, records = _classify(capsys, str(bad), str(good))
    assert code == 1
    assert records[0]["path"] == str(bad) and records[0]["error"]
    assert records[1]["doc_type"] == "FORM_1099_NEC"
