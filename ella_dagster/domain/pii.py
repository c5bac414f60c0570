"""Masking of SSNs, TINs/EINs and account numbers before anything reaches logs or Dagster metadata."""

from __future__ import annotations

import re
from collections.abc import Mapping

_SSN = re.compile(r"(?<![\d-])(\d{3})[- ]?(\d{2})[- ]?(\d{4})(?![\d-])")
_EIN = re.compile(r"(?<![\d-])(\d{2})-(\d{3})(\d{4})(?![\d-])")
_LONG_NUMBER = re.compile(r"(?<![\d])(\d[\d -]{6,20}\d)(?![\d])")
_SENSITIVE_NAME = re.compile(r"ssn|tin|ein|account|license_number|routing", re.IGNORECASE)


def last4(digits: str) -> str:
    only = re.sub(r"\D", "", digits)
    return only[-4:]


def mask_value(value: str) -> str:
    tail = last4(value)
    return f"***{tail}" if tail else "***"


def mask_text(text: str) -> str:
    """Masks SSN-, EIN- and account-number-shaped digit runs, keeping the last four digits."""
    text = _SSN.sub(lambda m: f"***-**-{m.group(3)}", text)
    text = _EIN.sub(lambda m: f"**-***{m.group(3)}", text)

    def _long(match: re.Match[str]) -> str:
        raw = match.group(1)
        digits = re.sub(r"\D", "", raw)
        return f"***{digits[-4:]}" if len(digits) >= 8 else raw

    return _LONG_NUMBER.sub(_long, text)


def mask_fields(fields: Mapping[str, object]) -> dict[str, object]:
    """A copy of extracted fields safe to show: identifiers masked, free text scanned."""
    masked: dict[str, object] = {}
    for name, value in fields.items():
        if isinstance(value, str):
            masked[name] = mask_value(value) if _SENSITIVE_NAME.search(name) else mask_text(value)
        elif isinstance(value, Mapping):
            masked[name] = mask_fields(value)
        else:
            masked[name] = value
    return masked
