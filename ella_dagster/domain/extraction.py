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
    "code": r"^[A-Za-z0-9][A-Za-z0-9*-]*$",  # identifiers: license, policy and account numbers
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
            # The box's own name, for readers who know the form ("interest_income" is box_1).
            "x-aliases": dict(self.aliases),
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
                _f("state", "state", "15 State"),
                _f("state_wages", "money", "16 State wages, tips, etc."),
                _f("state_tax", "money", "17 State income tax"),
            ),
            identity=("employer_ein", "employee_ssn", "wages"),
            version="1.1",  # 1.1: boxes 15-17
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
                _f("license_number", "code", "DL number", key=True),
                _f("name", "text", "Name", key=True),
                _f("date_of_birth", "date", "DOB", key=True),
                _f("expiration_date", "date", "EXP"),
                _f("state", "state", "Issuing state"),
            ),
            identity=("license_number", "date_of_birth"),
        ),
        DocumentSchema(
            DocType.FORM_1099_DIV,
            (
                *_1099_PARTIES,
                _f("box_1a", "money", "1a Total ordinary dividends", key=True),
                _f("box_1b", "money", "1b Qualified dividends"),
                _f("box_2a", "money", "2a Total capital gain distr"),
                _f("box_4", "money", "4 Federal income tax withheld"),
            ),
            identity=("payer_tin", "recipient_tin", "box_1a"),
            aliases={"ordinary_dividends": "box_1a", "qualified_dividends": "box_1b"},
        ),
        DocumentSchema(
            DocType.FORM_1099_MISC,
            (
                *_1099_PARTIES,
                _f("box_1", "money", "1 Rents"),
                _f("box_2", "money", "2 Royalties"),
                _f("box_3", "money", "3 Other income"),
                _f("box_4", "money", "4 Federal income tax withheld"),
            ),
            identity=("payer_tin", "recipient_tin", "box_1", "box_3"),
            aliases={"rents": "box_1", "royalties": "box_2", "other_income": "box_3"},
        ),
        DocumentSchema(
            DocType.FORM_1099_K,
            (
                *_1099_PARTIES,
                _f("box_1a", "money", "1a Gross amount of payment card/third party network transactions", key=True),
                _f("box_1b", "money", "1b Card Not Present transactions"),
                _f("box_4", "money", "4 Federal income tax withheld"),
            ),
            identity=("payer_tin", "recipient_tin", "box_1a"),
            aliases={"gross_amount": "box_1a"},
        ),
        DocumentSchema(
            DocType.FORM_1099_R,
            (
                *_1099_PARTIES,
                _f("box_1", "money", "1 Gross distribution", key=True),
                _f("box_2a", "money", "2a Taxable amount"),
                _f("box_4", "money", "4 Federal income tax withheld"),
                _f("box_7", "code", "7 Distribution code(s)"),
            ),
            identity=("payer_tin", "recipient_tin", "box_1"),
            aliases={"gross_distribution": "box_1", "taxable_amount": "box_2a"},
        ),
        DocumentSchema(
            DocType.FORM_1099_G,
            (
                *_1099_PARTIES,
                _f("box_1", "money", "1 Unemployment compensation"),
                _f("box_2", "money", "2 State or local income tax refunds, credits, or offsets"),
                _f("box_4", "money", "4 Federal income tax withheld"),
            ),
            identity=("payer_tin", "recipient_tin", "box_1", "box_2"),
            aliases={"unemployment_compensation": "box_1", "state_refund": "box_2"},
        ),
        DocumentSchema(
            DocType.FORM_1099_SSA,
            (
                _f("beneficiary_name", "text", "1 Name of beneficiary", key=True),
                _f("beneficiary_ssn", "ssn", "2 Beneficiary's social security number", key=True),
                _f("box_3", "money", "3 Benefits paid in"),
                _f("box_4", "money", "4 Benefits repaid to SSA in"),
                _f("box_5", "money", "5 Net benefits for", key=True),
                _f("tax_year", "year", "Tax year"),
            ),
            identity=("beneficiary_ssn", "box_5"),
            aliases={"net_benefits": "box_5"},
        ),
        DocumentSchema(
            DocType.SCHEDULE_K1,
            (
                _f("partnership_ein", "ein", "A Partnership's employer identification number", key=True),
                _f("partnership_name", "text", "B Partnership's name"),
                _f("partner_tin", "tin", "E Partner's SSN or TIN", key=True),
                _f("partner_name", "text", "F Name, address, city, state, and ZIP code for partner"),
                _f("box_1", "money", "1 Ordinary business income (loss)", key=True),
                _f("box_2", "money", "2 Net rental real estate income (loss)"),
                _f("box_5", "money", "5 Interest income"),
                _f("tax_year", "year", "Tax year"),
            ),
            identity=("partnership_ein", "partner_tin", "box_1"),
        ),
        DocumentSchema(
            DocType.FORM_1098,
            (
                _f("lender_name", "text", "RECIPIENT'S/LENDER'S name"),
                _f("lender_tin", "tin", "RECIPIENT'S/LENDER'S TIN", key=True),
                _f("borrower_name", "text", "PAYER'S/BORROWER'S name"),
                _f("borrower_tin", "tin", "PAYER'S/BORROWER'S TIN", key=True),
                _f("box_1", "money", "1 Mortgage interest received from payer(s)/borrower(s)", key=True),
                _f("box_2", "money", "2 Outstanding mortgage principal"),
                _f("box_10", "money", "10 Other"),
                _f("tax_year", "year", "Tax year"),
            ),
            identity=("lender_tin", "borrower_tin", "box_1"),
            aliases={"mortgage_interest": "box_1"},
        ),
        DocumentSchema(
            DocType.FORM_1098_T,
            (
                _f("school_name", "text", "FILER'S name"),
                _f("school_tin", "tin", "FILER'S employer identification no.", key=True),
                _f("student_name", "text", "STUDENT'S name"),
                _f("student_tin", "tin", "STUDENT'S TIN", key=True),
                _f("box_1", "money", "1 Payments received for qualified tuition and related expenses", key=True),
                _f("box_5", "money", "5 Scholarships or grants"),
                _f("tax_year", "year", "Tax year"),
            ),
            identity=("school_tin", "student_tin", "box_1"),
        ),
        DocumentSchema(
            DocType.FORM_1095_A,
            (
                _f("marketplace_id", "code", "1 Marketplace identifier"),
                _f("policy_number", "code", "2 Marketplace-assigned policy number", key=True),
                _f("recipient_name", "text", "4 Recipient's name", key=True),
                _f("recipient_ssn", "ssn", "5 Recipient's SSN", key=True),
                _f("annual_premium", "money", "33 Annual Totals"),
                _f("tax_year", "year", "Tax year"),
            ),
            identity=("policy_number", "recipient_ssn"),
        ),
        DocumentSchema(
            DocType.BANK_STATEMENT,
            (
                _f("bank_name", "text", "Bank"),
                _f("account_holder", "text", "Account holder", key=True),
                _f("account_number", "code", "Account number", key=True),
                _f("period_start", "date", "Statement period from"),
                _f("period_end", "date", "Statement period to", key=True),
                _f("beginning_balance", "money", "Beginning balance"),
                _f("ending_balance", "money", "Ending balance", key=True),
            ),
            identity=("account_number", "period_end", "ending_balance"),
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


def merge_readings(pages: Sequence[Mapping[str, Any]], readings: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """How cleanly the engine read each merged field: the reading of the page its value came from."""
    _, origin = merge_pages(pages)
    return {name: readings[page - 1][name] for name, page in origin.items() if name in readings[page - 1]}


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


# Amounts that must agree on a valid form: (field, base field, rate). A 1 % tolerance absorbs rounding.
CONSISTENCY: dict[DocType, tuple[tuple[str, str, float], ...]] = {
    DocType.W2: (("social_security_tax", "social_security_wages", 0.062), ("medicare_tax", "medicare_wages", 0.0145)),
}
INCONSISTENCY_PENALTY = 0.1


def consistency_checks(doc_type: DocType | str, fields: Mapping[str, Any]) -> list[tuple[str, str, float, bool]]:
    """Each rule whose two amounts are both read: (field, base field, rate, holds)."""
    results = []
    for name, base, rate in CONSISTENCY.get(DocType(doc_type), ()):
        try:
            value, expected = float(fields[name]), float(fields[base]) * rate
        except (KeyError, TypeError, ValueError):  # missing or not an amount: nothing to compare
            continue
        results.append((name, base, rate, abs(value - expected) <= max(1.0, abs(expected) * 0.01)))
    return results


# Amounts a valid form keeps under a limit: (field, base field or a constant, ratio): field <= base * ratio.
# A withholding that repeats its income (a neighbour's value), wages with another box's digits glued on,
# social security wages over the wage base break one. Only the first field is doubted.
SS_WAGE_BASE_MAX = 176_100.0  # the largest social security wage base so far (2025)
_WITHHOLDING_TYPES = {
    DocType.FORM_1099_INT: "box_1",
    DocType.FORM_1099_NEC: "box_1",
    DocType.FORM_1099_DIV: "box_1a",
    DocType.FORM_1099_K: "box_1a",
    DocType.FORM_1099_G: "box_1",
}
BOUNDS: dict[DocType, tuple[tuple[str, str | float, float], ...]] = {
    DocType.W2: (
        ("federal_tax_withheld", "wages", 0.6),
        ("social_security_wages", SS_WAGE_BASE_MAX, 1.0),
        ("social_security_tax", SS_WAGE_BASE_MAX * 0.062, 1.0),
        ("social_security_wages", "medicare_wages", 1.0),
        ("wages", "medicare_wages", 1.5),
        ("medicare_tax", "medicare_wages", 0.05),
        ("state_tax", "state_wages", 0.15),
    ),
    **{t: (("box_4", total, 0.5),) for t, total in _WITHHOLDING_TYPES.items()},
    DocType.FORM_1099_R: (("box_4", "box_1", 1.0), ("box_2a", "box_1", 1.0)),
}


def bound_checks(doc_type: DocType | str, fields: Mapping[str, Any]) -> list[tuple[str, str, bool]]:
    """Each limit whose amounts are read: (field, what bounds it, holds)."""
    results = []
    for name, base, ratio in BOUNDS.get(DocType(doc_type), ()):
        try:
            value = float(fields[name])
            limit = (float(base) if isinstance(base, float) else float(fields[base])) * ratio
        except (KeyError, TypeError, ValueError):
            continue
        what = base if isinstance(base, str) else "its legal maximum"
        results.append((name, what, value <= limit + 0.01))
    return results


def inconsistencies(doc_type: DocType | str, fields: Mapping[str, Any]) -> list[str]:
    """Checksum-like rules that fail (e.g. W-2 box 4 is 6.2 % of box 3); a misread digit shows here."""
    return [
        f"{name} is not {rate:.2%} of {base}"
        for name, base, rate, holds in consistency_checks(doc_type, fields)
        if not holds
    ] + [f"{name} exceeds {what}" for name, what, holds in bound_checks(doc_type, fields) if not holds]


def confidence_for(doc_type: DocType | str, fields: Mapping[str, Any]) -> float:
    """The completeness formula, lowered for every consistency rule the values break."""
    schema = schema_for(doc_type)
    assert schema is not None
    score = extraction_confidence(fields, schema.key_fields, schema.field_names)
    return round(max(0.0, score - INCONSISTENCY_PENALTY * len(inconsistencies(doc_type, fields))), 4)


def same_paper(doc_type: DocType | str, a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """True only when every identity field is present in both and equal: zero false merges."""
    schema = schema_for(doc_type)
    if schema is None or not schema.identity:
        return False
    return all(a.get(n) not in (None, "") and a.get(n) == b.get(n) for n in schema.identity)
