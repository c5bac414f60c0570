"""Versioned extraction schemas, validation and multi-page merging."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from ella_dagster.domain.confidence import extraction_confidence
from ella_dagster.domain.doc_types import DocType

SCHEMA_VERSION = "1.0"

# Value kinds and their JSON-schema patterns. Money is a decimal string, dates are ISO 8601.
KIND_PATTERNS = {
    "money": r"^-?\d+(\.\d{2})?$",
    "ssn": r"^\d{3}-\d{2}-\d{4}$",
    "tin": r"^(\d{3}-\d{2}-\d{4}|\d{2}-\d{7})$",
    "ein": r"^\d{2}-\d{7}$",
    "date": r"^\d{4}-\d{2}-\d{2}$",
    "year": r"^(19|20)\d{2}$",
    "state": r"^[A-Z]{2}$",
    "text": r"\S",
}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str
    label: str  # the box's own name on the form
    key: bool = False


@dataclass(frozen=True)
class DocumentSchema:
    doc_type: DocType
    fields: tuple[FieldSpec, ...]
    # Fields that must agree before two near-identical uploads are treated as one paper.
    identity: tuple[str, ...] = ()
    version: str = SCHEMA_VERSION
    aliases: Mapping[str, str] = field(default_factory=dict)

    @property
    def key_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.key]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def json_schema(self) -> dict[str, Any]:
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"ella:{self.doc_type.value.lower()}:{self.version}",
            "type": "object",
            "additionalProperties": False,
            "properties": {
                f.name: {"type": ["string", "null"], "pattern": KIND_PATTERNS[f.kind], "description": f.label}
                for f in self.fields
            },
        }


def _f(name: str, kind: str, label: str, key: bool = False) -> FieldSpec:
    return FieldSpec(name, kind, label, key)


_1099_PARTIES = (
    _f("payer_name", "text", "Payer's name"),
    _f("payer_tin", "tin", "Payer's TIN", key=True),
    _f("recipient_name", "text", "Recipient's name"),
    _f("recipient_tin", "tin", "Recipient's TIN", key=True),
    _f("tax_year", "year", "Calendar year"),
)

SCHEMAS: dict[DocType, DocumentSchema] = {
    s.doc_type: s
    for s in (
        DocumentSchema(
            DocType.W2,
            (
                _f("employer_ein", "ein", "b Employer identification number (EIN)", key=True),
                _f("employer_name", "text", "c Employer's name"),
                _f("employee_ssn", "ssn", "a Employee's social security number", key=True),
                _f("employee_name", "text", "e Employee's name"),
                _f("wages", "money", "1 Wages, tips, other compensation", key=True),
                _f("federal_tax_withheld", "money", "2 Federal income tax withheld", key=True),
                _f("social_security_wages", "money", "3 Social security wages"),
                _f("social_security_tax", "money", "4 Social security tax withheld"),
                _f("medicare_wages", "money", "5 Medicare wages and tips"),
                _f("medicare_tax", "money", "6 Medicare tax withheld"),
                _f("tax_year", "year", "Tax year"),
            ),
            identity=("employer_ein", "employee_ssn", "wages"),
        ),
        DocumentSchema(
            DocType.FORM_1099_INT,
            (
                *_1099_PARTIES,
                _f("box_1", "money", "1 Interest income", key=True),
                _f("box_2", "money", "2 Early withdrawal penalty"),
                _f("box_3", "money", "3 Interest on U.S. Savings Bonds and Treasury obligations"),
                _f("box_4", "money", "4 Federal income tax withheld"),
            ),
            identity=("payer_tin", "recipient_tin", "box_1"),
            aliases={"interest_income": "box_1", "federal_tax_withheld": "box_4"},
        ),
        DocumentSchema(
            DocType.FORM_1099_NEC,
            (
                *_1099_PARTIES,
                _f("box_1", "money", "1 Nonemployee compensation", key=True),
                _f("box_4", "money", "4 Federal income tax withheld"),
            ),
            identity=("payer_tin", "recipient_tin", "box_1"),
            aliases={"nonemployee_compensation": "box_1", "federal_tax_withheld": "box_4"},
        ),
        DocumentSchema(
            DocType.SSN_CARD,
            (_f("ssn", "ssn", "Social security number", key=True), _f("name", "text", "Name", key=True)),
            identity=("ssn", "name"),
        ),
        DocumentSchema(
            DocType.DRIVER_LICENSE,
            (
                _f("license_number", "text", "DL number", key=True),
                _f("name", "text", "Name", key=True),
                _f("date_of_birth", "date", "DOB", key=True),
                _f("expiration_date", "date", "EXP"),
                _f("state", "state", "Issuing state"),
            ),
            identity=("license_number", "date_of_birth"),
        ),
    )
}


def schema_for(doc_type: DocType | str) -> DocumentSchema | None:
    return SCHEMAS.get(DocType(doc_type))


def validation_errors(doc_type: DocType | str, fields: Mapping[str, Any]) -> list[str]:
    schema = schema_for(doc_type)
    if schema is None:
        return [f"no extraction schema for {doc_type}"]
    validator = jsonschema.Draft202012Validator(schema.json_schema())
    # Messages name the field, never the value (values may be SSNs).
    return sorted(
        f"{'/'.join(map(str, e.path)) or '(root)'}: {e.validator} failed" for e in validator.iter_errors(dict(fields))
    )


def merge_pages(pages: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], dict[str, int]]:
    """Later pages override earlier ones (corrections come after); returns the merge and each field's page."""
    merged: dict[str, Any] = {}
    origin: dict[str, int] = {}
    for number, page in enumerate(pages, start=1):
        for name, value in page.items():
            if value not in (None, ""):
                merged[name] = value
                origin[name] = number
    return merged, origin


def confidence_for(doc_type: DocType | str, fields: Mapping[str, Any]) -> float:
    schema = schema_for(doc_type)
    assert schema is not None
    return extraction_confidence(fields, schema.key_fields, schema.field_names)


def same_paper(doc_type: DocType | str, a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """True only when every identity field is present in both and equal: zero false merges."""
    schema = schema_for(doc_type)
    if schema is None or not schema.identity:
        return False
    return all(a.get(n) not in (None, "") and a.get(n) == b.get(n) for n in schema.identity)
