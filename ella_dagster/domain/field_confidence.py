"""Confidence of each extracted field, from validators rather than from the OCR engine.

A field starts at READ (found after its label). Its value's own rules raise or lower it: the format of
its kind, then what that kind means (an SSN never starts with 000 or 666, a date exists in the
calendar). Checksum-like rules between fields raise both sides when they hold and lower the dependent
field when they break (W-2 box 4 is 6.2 % of box 3); a limit the form keeps (a withholding under its
income, social security wages under the wage base) lowers the field that breaks it. The same number read
as two different parties' TINs lowers both. Engine-independent: the pipeline scores Tesseract's and
Gemini's fields alike; an engine that says how cleanly it read a field (`readings`, 1 = a clean token in
its own cell next to its label) lowers what it read poorly: a value from the text lines rather than its
cell, digits across a cell border, one of several candidates, a value far from its label.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from typing import Any

from ella_dagster.domain.doc_types import DocType
from ella_dagster.domain.extraction import KIND_PATTERNS, bound_checks, consistency_checks, schema_for

READ = 0.70
VALID = 0.20  # the value passes every rule of its kind
INVALID = -0.45
CONSISTENT = 0.08  # a checksum-like rule involving the field holds
INCONSISTENT = -0.45  # ... breaks (the dependent field: the one computed from the other)
SHARED_TIN = -0.30  # payer and recipient read as the same number
OUT_OF_BOUNDS = -0.45  # a limit of the form breaks (the field over its limit)
READING_WEIGHT = 0.6  # a reading of r (in [0, 1]) moves the score by READING_WEIGHT * (r - 1)
FLOOR, CAP = 0.05, 0.99
LOW = 0.5  # below this a field deserves a person's look (shown in the extraction metadata)

EARLIEST_YEAR = 1900


def _ssn_ok(value: str, *, itin_allowed: bool) -> bool:
    area, group, serial = value.split("-")
    if area in ("000", "666") or group == "00" or serial == "0000":
        return False
    return itin_allowed or not area.startswith("9")  # 9xx is an ITIN: a valid TIN, not an SSN


def _date_ok(value: str) -> bool:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return False
    return EARLIEST_YEAR <= day.year <= dt.date.today().year + 20


def value_is_valid(kind: str, value: Any) -> bool:
    """The value's format and meaning for its kind (money, ssn, tin, ein, date, year, state, code, text)."""
    if not isinstance(value, str) or not re.search(KIND_PATTERNS[kind], value):
        return False
    if kind == "ssn":
        return _ssn_ok(value, itin_allowed=False)
    if kind == "tin":
        return len(value) == 10 or _ssn_ok(value, itin_allowed=True)  # 10 characters: an EIN
    if kind == "ein":
        return not value.startswith("00")
    if kind == "date":
        return _date_ok(value)
    if kind == "year":
        return EARLIEST_YEAR <= int(value) <= dt.date.today().year + 1
    return True


def field_confidences(
    doc_type: DocType | str, fields: Mapping[str, Any], readings: Mapping[str, float] | None = None
) -> dict[str, float]:
    """A confidence in [0.05, 0.99] for each present field of the document's schema; `readings`, when the
    engine gives them, say how cleanly each field was read."""
    schema = schema_for(doc_type)
    if schema is None:
        return {}
    kinds = {spec.name: spec.kind for spec in schema.fields}
    present = {name: value for name, value in fields.items() if name in kinds and value not in (None, "")}
    scores = {
        name: READ + (VALID if value_is_valid(kinds[name], value) else INVALID) for name, value in present.items()
    }
    for name, base, _, holds in consistency_checks(doc_type, present):
        if holds:
            scores[name] += CONSISTENT
            scores[base] += CONSISTENT
        else:
            scores[name] += INCONSISTENT
    for name, _, holds in bound_checks(doc_type, present):
        if not holds:
            scores[name] += OUT_OF_BOUNDS
    for name, reading in (readings or {}).items():
        if name in scores:
            scores[name] += READING_WEIGHT * (min(1.0, max(0.0, reading)) - 1.0)
    tins = [n for n in scores if kinds[n] in ("tin", "ssn", "ein")]
    for i, first in enumerate(tins):
        for second in tins[i + 1 :]:
            if present[first] == present[second]:
                scores[first] += SHARED_TIN
                scores[second] += SHARED_TIN
    return {name: round(min(CAP, max(FLOOR, score)), 2) for name, score in scores.items()}


def doubtful(scores: Mapping[str, float] | None, among: Collection[str] | None = None) -> list[str]:
    """The fields (optionally only those `among`) scored under LOW: names, never values."""
    return sorted(n for n, v in (scores or {}).items() if v < LOW and (among is None or n in among))
