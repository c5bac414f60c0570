"""The W-2, the paper a tax firm receives most."""

from __future__ import annotations

from ella_dagster.domain.doc_types import patterns as p
from ella_dagster.domain.doc_types.names import Category, DocType
from ella_dagster.domain.doc_types.spec import DocTypeSpec, DocumentSchema, Signature, f

SS_WAGE_BASE_MAX = 176_100.0  # the largest social security wage base so far (2025)

W2 = DocTypeSpec(
    DocType.W2,
    Category.INCOME,
    "Form W-2 Wage and Tax Statement (not a pay stub)",
    Signature(
        DocType.W2,
        titles=(r"wage\s+and\s+tax\s+statement", r"\bw-?\s?2\b"),
        labels=(
            # each box label by its words a photo keeps best: OCR garbles some words of every label
            r"wages,?\s+tips,?\s+other\s+comp|other\s+compensation",
            r"federal\s+income\s+tax\s+withheld",
            r"social\s+security\s+wages",
            r"social\s+security\s+tax",
            r"medicare\s+wages",
            r"medicare\s+tax",
            r"employer\s+identification\s+number|employer'?s?\s+id",
            r"employee'?s?\s+social\s+security\s+number",
            r"employer'?s?\s+name",
            r"control\s+number",
            p.omb("0008"),
            # the W-2's own copy captions and box labels
            r"filed\s+with\s+employee'?s|for\s+employee'?s\s+records",
            r"statutory\s+employee|nonqualified\s+plans|dependent\s+care\s+benefits|third-party\s+sick\s+pay",
        ),
        enough=8,
        negatives=(*p.NOT_INCOME_FORMS, p.FORM_1099_NAME),
    ),
    DocumentSchema(
        DocType.W2,
        (
            f("employer_ein", "ein", "b Employer identification number (EIN)", key=True),
            f("employer_name", "text", "c Employer's name"),
            f("employee_ssn", "ssn", "a Employee's social security number", key=True),
            f("employee_name", "text", "e Employee's name"),
            f("wages", "money", "1 Wages, tips, other compensation", key=True),
            f("federal_tax_withheld", "money", "2 Federal income tax withheld", key=True),
            f("social_security_wages", "money", "3 Social security wages"),
            f("social_security_tax", "money", "4 Social security tax withheld"),
            f("medicare_wages", "money", "5 Medicare wages and tips"),
            f("medicare_tax", "money", "6 Medicare tax withheld"),
            f("tax_year", "year", "Tax year"),
            f("state", "state", "15 State"),
            f("state_wages", "money", "16 State wages, tips, etc."),
            f("state_tax", "money", "17 State income tax"),
        ),
        identity=("employer_ein", "employee_ssn", "wages"),
        version="1.1",  # 1.1: boxes 15-17
    ),
    source_field="employer_name",
    rates=(("social_security_tax", "social_security_wages", 0.062), ("medicare_tax", "medicare_wages", 0.0145)),
    # A withholding that repeats its income (a neighbour's value), wages with another box's digits glued
    # on, social security wages over the wage base break one.
    bounds=(
        ("federal_tax_withheld", "wages", 0.6),
        ("social_security_wages", SS_WAGE_BASE_MAX, 1.0),
        ("social_security_tax", SS_WAGE_BASE_MAX * 0.062, 1.0),
        ("social_security_wages", "medicare_wages", 1.0),
        ("wages", "medicare_wages", 1.5),
        ("medicare_tax", "medicare_wages", 0.05),
        ("state_tax", "state_wages", 0.15),
    ),
)
