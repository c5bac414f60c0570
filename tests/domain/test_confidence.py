import pytest

from ella_dagster.domain.confidence import extraction_confidence


def test_nothing_found_is_the_floor() -> None:
    assert extraction_confidence({}, ["a", "b"], ["a", "b", "c", "d"]) == 0.5


def test_all_key_fields_and_half_the_rest() -> None:
    fields = {"a": "1", "b": "2"}
    assert extraction_confidence(fields, ["a", "b"], ["a", "b", "c", "d"]) == pytest.approx(0.5 + 0.4 + 0.05)


def test_half_the_key_fields() -> None:
    fields = {"a": "1", "c": "3"}
    assert extraction_confidence(fields, ["a", "b"], ["a", "b", "c", "d"]) == pytest.approx(0.5 + 0.2 + 0.05)


def test_everything_found_is_capped_below_certainty() -> None:
    fields = {"a": "1", "b": "2"}
    assert extraction_confidence(fields, ["a", "b"], ["a", "b"]) == 0.99


def test_empty_values_do_not_count() -> None:
    assert extraction_confidence({"a": "", "b": None}, ["a", "b"], ["a", "b"]) == 0.5
