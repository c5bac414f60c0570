"""Other IRS statements: Schedule K-1, Form 1098 (mortgage interest), 1098-T (tuition), 1095-A."""

from __future__ import annotations

from ella_dagster.domain.doc_types import patterns as p
from ella_dagster.domain.doc_types.names import Category, DocType
from ella_dagster.domain.doc_types.spec import DocTypeSpec, DocumentSchema, Signature, f

SCHEDULE_K1 = DocTypeSpec(
    DocType.SCHEDULE_K1,
    Category.INCOME,
    "Schedule K-1 (Form 1065, 1120-S or 1041) partner/shareholder share of income",
    Signature(
        DocType.SCHEDULE_K1,
        titles=(r"schedule\s+k-?1", r"partner'?s?\s+share\s+of\s+(current\s+year\s+)?income|shareholder'?s?\s+share"),
        labels=(
            r"ordinary\s+business\s+income",
            r"net\s+rental\s+real\s+estate",
            r"guaranteed\s+payments",
            r"partnership'?s?\s+(employer|name)",
            r"partner'?s?\s+(ssn|name|share)",
            r"capital\s+account",
            p.omb("0123"),
        ),
        negatives=p.NOT_INCOME_FORMS,
    ),
    DocumentSchema(
        DocType.SCHEDULE_K1,
        (
            f("partnership_ein", "ein", "A Partnership's employer identification number", key=True),
            f("partnership_name", "text", "B Partnership's name"),
            f("partner_tin", "tin", "E Partner's SSN or TIN", key=True),
            f("partner_name", "text", "F Name, address, city, state, and ZIP code for partner"),
            f("box_1", "money", "1 Ordinary business income (loss)", key=True),
            f("box_2", "money", "2 Net rental real estate income (loss)"),
            f("box_5", "money", "5 Interest income"),
            f("tax_year", "year", "Tax year"),
        ),
        identity=("partnership_ein", "partner_tin", "box_1"),
    ),
    source_field="partnership_name",
    spellings=("K-1",),
)

FORM_1098 = DocTypeSpec(
    DocType.FORM_1098,
    Category.ASSET,
    "Form 1098 mortgage interest statement (not a monthly mortgage statement)",
    Signature(
        DocType.FORM_1098,
        titles=(r"1098(?!-?\s?[te]\b)(?!\d)", r"mortgage\s+interest\s+statement"),
        labels=(
            r"mortgage\s+interest\s+received",
            r"outstanding\s+mortgage\s+principal",
            r"mortgage\s+origination\s+date",
            r"refund\s+of\s+overpaid\s+interest",
            r"mortgage\s+insurance\s+premiums",
            r"points\s+paid",
            r"lender'?s?",
            p.omb("1380"),
        ),
        negatives=(*p.NOT_INCOME_FORMS, r"escrow\s+balance|amount\s+due|payment\s+due", r"tuition"),
    ),
    DocumentSchema(
        DocType.FORM_1098,
        (
            f("lender_name", "text", "RECIPIENT'S/LENDER'S name"),
            f("lender_tin", "tin", "RECIPIENT'S/LENDER'S TIN", key=True),
            f("borrower_name", "text", "PAYER'S/BORROWER'S name"),
            f("borrower_tin", "tin", "PAYER'S/BORROWER'S TIN", key=True),
            f("box_1", "money", "1 Mortgage interest received from payer(s)/borrower(s)", key=True),
            f("box_2", "money", "2 Outstanding mortgage principal"),
            f("box_10", "money", "10 Other"),
            f("tax_year", "year", "Tax year"),
        ),
        identity=("lender_tin", "borrower_tin", "box_1"),
        aliases={"mortgage_interest": "box_1"},
    ),
    source_field="lender_name",
)

FORM_1098_T = DocTypeSpec(
    DocType.FORM_1098_T,
    Category.EDUCATION,
    "Form 1098-T tuition statement",
    Signature(
        DocType.FORM_1098_T,
        titles=(r"1098-?\s?t\b", r"tuition\s+statement"),
        labels=(
            r"payments\s+received\s+for\s+qualified\s+tuition",
            r"scholarships\s+or\s+grants",
            r"student'?s?\s+(name|tin)",
            r"filer'?s?\s+(name|employer)",
            r"half-time\s+student",
            r"graduate\s+student",
            p.omb("1574"),
        ),
        negatives=p.NOT_INCOME_FORMS,
    ),
    DocumentSchema(
        DocType.FORM_1098_T,
        (
            f("school_name", "text", "FILER'S name"),
            f("school_tin", "tin", "FILER'S employer identification no.", key=True),
            f("student_name", "text", "STUDENT'S name"),
            f("student_tin", "tin", "STUDENT'S TIN", key=True),
            f("box_1", "money", "1 Payments received for qualified tuition and related expenses", key=True),
            f("box_5", "money", "5 Scholarships or grants"),
            f("tax_year", "year", "Tax year"),
        ),
        identity=("school_tin", "student_tin", "box_1"),
    ),
    source_field="school_name",
)

FORM_1095_A = DocTypeSpec(
    DocType.FORM_1095_A,
    Category.HEALTHCARE,
    "Form 1095-A health insurance marketplace statement",
    Signature(
        DocType.FORM_1095_A,
        titles=(r"1095-?\s?a\b", r"health\s+insurance\s+marketplace\s+statement"),
        labels=(
            r"marketplace\s+identifier",
            r"policy\s+number",
            r"monthly\s+enrollment\s+premiums",
            r"second\s+lowest\s+cost\s+silver",
            r"advance\s+payment\s+of\s+premium\s+tax\s+credit",
            r"covered\s+individuals",
            p.omb("2232"),
        ),
        negatives=p.NOT_INCOME_FORMS,
    ),
    DocumentSchema(
        DocType.FORM_1095_A,
        (
            f("marketplace_id", "code", "1 Marketplace identifier"),
            f("policy_number", "code", "2 Marketplace-assigned policy number", key=True),
            f("recipient_name", "text", "4 Recipient's name", key=True),
            f("recipient_ssn", "ssn", "5 Recipient's SSN", key=True),
            f("annual_premium", "money", "33 Annual Totals"),
            f("tax_year", "year", "Tax year"),
        ),
        identity=("policy_number", "recipient_ssn"),
    ),
)
