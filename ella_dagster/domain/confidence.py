"""Extraction confidence: key-field completeness first, total completeness as a small bonus."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

EXTRACTION_FLOOR = 0.5
KEY_FIELD_WEIGHT = 0.4
ALL_FIELD_WEIGHT = 0.1
EXTRACTION_CAP = 0.99  # always leaves room for a human check


def _present(value: object) -> bool:
    return value not in (None, "", [], {})


def completeness(fields: Mapping[str, object], names: Sequence[str]) -> float:
    if not names:
        return 1.0
    return sum(_present(fields.get(name)) for name in names) / len(names)


def extraction_confidence(fields: Mapping[str, object], key_fields: Sequence[str], all_fields: Sequence[str]) -> float:
    """0.5 + 0.4 * key completeness + 0.1 * total completeness, capped at 0.99."""
    score = (
        EXTRACTION_FLOOR
        + KEY_FIELD_WEIGHT * completeness(fields, key_fields)
        + ALL_FIELD_WEIGHT * completeness(fields, all_fields)
    )
    return round(min(EXTRACTION_CAP, score), 4)
