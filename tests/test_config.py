"""Settings: read once, validated, and a typo is a startup error that names the variable."""

from __future__ import annotations

import pytest

from ella_dagster.config import Settings, SettingsError


def test_nothing_set_means_everything_embedded(tmp_path) -> None:
    settings = Settings.from_env({"ELLA_DATA_DIR": str(tmp_path)})
    assert (settings.store, settings.engine, settings.batch_size) == ("local", "offline", 25)
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'ella.db'}"


def test_choices_are_read_case_insensitively(tmp_path) -> None:
    settings = Settings.from_env({"ELLA_DATA_DIR": str(tmp_path), "ELLA_STORE": "S3", "ELLA_ENGINE": "Gemini"})
    assert (settings.store, settings.engine) == ("s3", "gemini")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ELLA_STORE", "s4", "ELLA_STORE='s4' is not one of local, s3"),
        ("ELLA_ENGINE", "tesseract", "ELLA_ENGINE='tesseract' is not one of offline, gemini"),
        ("ELLA_BATCH_SIZE", "twenty", "ELLA_BATCH_SIZE must be a whole number, got 'twenty'"),
        ("ELLA_BATCH_SIZE", "0", "ELLA_BATCH_SIZE must be at least 1, got 0"),
        ("ELLA_JOURNAL_OVERLAP_SECONDS", "-1", "ELLA_JOURNAL_OVERLAP_SECONDS must not be negative, got -1.0"),
        ("ELLA_DATABASE_URL", "mysql://u:secret@h/db", "ELLA_DATABASE_URL must be a sqlite:/// or postgresql"),
    ],
)
def test_a_value_that_cannot_be_used_is_refused_by_name(tmp_path, name, value, message) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"ELLA_DATA_DIR": str(tmp_path), name: value})
    assert str(refused.value).startswith(message)
    assert "secret" not in str(refused.value)
