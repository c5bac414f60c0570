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
        ("GEMINI_RPM", "ten", "GEMINI_RPM must be a whole number, got 'ten'"),
        ("GEMINI_RPM", "0", "GEMINI_RPM must be at least 1, got 0"),
        ("GEMINI_TIMEOUT_SECONDS", "0", "GEMINI_TIMEOUT_SECONDS must be more than 0, got 0.0"),
        ("GEMINI_RETRY_DELAY_MS", "-5", "GEMINI_RETRY_DELAY_MS must be at least 0, got -5"),
        ("ELLA_MAX_CONCURRENT_RUNS", "many", "ELLA_MAX_CONCURRENT_RUNS must be a whole number, got 'many'"),
        ("ELLA_MAX_CONCURRENT_RUNS", "-2", "ELLA_MAX_CONCURRENT_RUNS must be at least -1, got -2"),
    ],
)
def test_a_value_that_cannot_be_used_is_refused_by_name(tmp_path, name, value, message) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"ELLA_DATA_DIR": str(tmp_path), name: value})
    assert str(refused.value).startswith(message)
    assert "secret" not in str(refused.value)


def test_gemini_and_the_instance_are_read_with_the_rest(tmp_path) -> None:
    """One read: the engine's and the Dagster instance's settings are part of the same object."""
    settings = Settings.from_env(
        {
            "ELLA_DATA_DIR": str(tmp_path),
            "GEMINI_API_KEY": "key-123456",
            "GEMINI_MODEL": "gemini-2.5-pro",
            "GEMINI_FALLBACK_MODELS": "gemini-2.5-flash, gemini-2.5-pro",
            "GEMINI_RPM": "30",
            "DAGSTER_HOME": str(tmp_path / "home"),
            "ELLA_CELERY_BROKER_URL": "redis://:hunter2@cache:6379/0",
            "ELLA_MAX_CONCURRENT_RUNS": "4",
        }
    )
    assert settings.engine == "gemini"  # a key and no ELLA_ENGINE: Gemini
    assert (settings.gemini.model, settings.gemini.fallback_models) == ("gemini-2.5-pro", ("gemini-2.5-flash",))
    assert settings.gemini.requests_per_window == 30
    assert settings.dagster.home == (tmp_path / "home").resolve() and settings.dagster.max_concurrent_runs == 4
    assert "key-123456" not in repr(settings) and "hunter2" not in repr(settings)  # secrets are never shown
    # Nothing set: the defaults, the instance under the data directory.
    default = Settings.from_env({"ELLA_DATA_DIR": str(tmp_path)})
    assert default.dagster.home == tmp_path.resolve() / "dagster_home" and default.dagster.celery_broker_url is None
    assert default.gemini.model == "gemini-2.5-flash" and default.gemini.api_key == ""
