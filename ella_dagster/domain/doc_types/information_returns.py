"""The 1099 family (payer/recipient block, a withholding box) and the SSA-1099."""

from __future__ import annotations

from ella_dagster.domain.doc_types import patterns as p
from ella_dagster.domain.doc_types.names import Category, DocType
from ella_dagster.domain.doc_types.spec import Bound, DocTypeSpec, DocumentSchema, FieldSpec, Signature, f

PARTIES = (
    f("payer_name", "text", "Payer's name"),
    f("payer_tin", "tin", "Payer's TIN", key=True),
    f("recipient_name", "text", "Recipient's name"),
    f("recipient_tin", "tin", "Recipient's TIN", key=True),
    f("tax_year", "year", "Calendar year"),
)
_PARTY_LABELS = (
    r"payer'?s?\s+(name|tin|federal)",
    r"recipient'?s?\s+(name|tin)",
    r"federal\s+income\s+tax\s+withheld",
)
_NOT_A_1099 = (*p.NOT_INCOME_FORMS, r"wage\s+and\s+tax\s+statement")
# Each variant's title: another variant's title on a page is a counter-indication.
TITLES = {
    "INT": r"interest\s+income",
    "DIV": r"dividends\s+and\s+distributions",
    "NEC": r"nonemployee\s+compensation",
    "MISC": r"miscellaneous\s+(information|income)",
    "K": r"payment\s+card\s+and\s+third\s+party",
    "R": r"distributions\s+from\s+pensions",
    "G": r"certain\s+government\s+payments",
}


def _withholding_under(total: str) -> tuple[Bound, ...]:
    """Federal withholding repeats its income when OCR read a neighbour's value: it stays under half."""
    return (("box_4", total, 0.5),)


def form_1099(
    doc_type: DocType,
    code: str,
    omb: str,
    description: str,
    labels: tuple[str, ...],
    boxes: tuple[FieldSpec, ...],
    identity: tuple[str, ...],
    aliases: dict[str, str],
    bounds: tuple[Bound, ...] = (),
) -> DocTypeSpec:
    """A 1099 variant: the shared party block and evidence, its own code, title, OMB number and boxes."""
    return DocTypeSpec(
        doc_type,
        Category.INCOME,
        description,
        Signature(
            doc_type,
            titles=(rf"1099-?\s?{code}\b", TITLES[code]),
            labels=(*_PARTY_LABELS, *labels, p.omb(omb)),
            negatives=(*_NOT_A_1099, *(title for other, title in TITLES.items() if other != code)),
        ),
        DocumentSchema(doc_type, (*PARTIES, *boxes), identity=identity, aliases=aliases),
        source_field="payer_name",
        bounds=bounds,
    )


FORM_1099_INT = form_1099(
    DocType.FORM_1099_INT,
    "INT",
    "0112",
    "Form 1099-INT interest income",
    (
        r"early\s+withdrawal\s+penalty",
        r"savings\s+bonds",
        r"investment\s+expenses",
        r"foreign\s+tax\s+paid",
        r"tax-exempt\s+interest",
    ),
    (
        f("box_1", "money", "1 Interest income", key=True),
        f("box_2", "money", "2 Early withdrawal penalty"),
        f("box_3", "money", "3 Interest on U.S. Savings Bonds and Treasury obligations"),
        f("box_4", "money", "4 Federal income tax withheld"),
    ),
    ("payer_tin", "recipient_tin", "box_1"),
    {"interest_income": "box_1", "federal_tax_withheld": "box_4"},
    _withholding_under("box_1"),
)

FORM_1099_DIV = form_1099(
    DocType.FORM_1099_DIV,
    "DIV",
    "0110",
    "Form 1099-DIV dividends and distributions",
    (
        r"ordinary\s+dividends",
        r"qualified\s+dividends",
        r"capital\s+gain\s+distr",
        r"section\s+199a",
        r"nondividend\s+distributions",
    ),
    (
        f("box_1a", "money", "1a Total ordinary dividends", key=True),
        f("box_1b", "money", "1b Qualified dividends"),
        f("box_2a", "money", "2a Total capital gain distr"),
        f("box_4", "money", "4 Federal income tax withheld"),
    ),
    ("payer_tin", "recipient_tin", "box_1a"),
    {"ordinary_dividends": "box_1a", "qualified_dividends": "box_1b"},
    _withholding_under("box_1a"),
)

FORM_1099_NEC = form_1099(
    DocType.FORM_1099_NEC,
    "NEC",
    "0116",
    "Form 1099-NEC nonemployee compensation",
    (r"state\s+tax\s+withheld", r"direct\s+sales", r"state\s+income"),
    (
        f("box_1", "money", "1 Nonemployee compensation", key=True),
        f("box_4", "money", "4 Federal income tax withheld"),
    ),
    ("payer_tin", "recipient_tin", "box_1"),
    {"nonemployee_compensation": "box_1", "federal_tax_withheld": "box_4"},
    _withholding_under("box_1"),
)

FORM_1099_MISC = form_1099(
    DocType.FORM_1099_MISC,
    "MISC",
    "0115",
    "Form 1099-MISC miscellaneous information",
    (r"\brents\b", r"royalties", r"other\s+income", r"fishing\s+boat", r"medical\s+and\s+health\s+care"),
    (
        f("box_1", "money", "1 Rents"),
        f("box_2", "money", "2 Royalties"),
        f("box_3", "money", "3 Other income"),
        f("box_4", "money", "4 Federal income tax withheld"),
    ),
    ("payer_tin", "recipient_tin", "box_1", "box_3"),
    {"rents": "box_1", "royalties": "box_2", "other_income": "box_3"},
)

FORM_1099_K = form_1099(
    DocType.FORM_1099_K,
    "K",
    "2205",
    "Form 1099-K payment card and third-party network transactions",
    (
        r"gross\s+amount",
        r"card\s+not\s+present",
        r"merchant\s+category",
        r"payment\s+transactions",
        r"settlement\s+entity|filer'?s?\s+name",
    ),
    (
        f("box_1a", "money", "1a Gross amount of payment card/third party network transactions", key=True),
        f("box_1b", "money", "1b Card Not Present transactions"),
        f("box_4", "money", "4 Federal income tax withheld"),
    ),
    ("payer_tin", "recipient_tin", "box_1a"),
    {"gross_amount": "box_1a"},
    # card-not-present transactions are part of the gross amount
    (*_withholding_under("box_1a"), ("box_1b", "box_1a", 1.0)),
)

FORM_1099_R = form_1099(
    DocType.FORM_1099_R,
    "R",
    "0119",
    "Form 1099-R distributions from pensions, annuities, IRAs",
    (
        r"gross\s+distribution",
        r"taxable\s+amount",
        r"distribution\s+code",
        r"ira/sep/simple",
        r"employee\s+contributions",
    ),
    (
        f("box_1", "money", "1 Gross distribution", key=True),
        f("box_2a", "money", "2a Taxable amount"),
        f("box_4", "money", "4 Federal income tax withheld"),
        f("box_7", "code", "7 Distribution code(s)"),
    ),
    ("payer_tin", "recipient_tin", "box_1"),
    {"gross_distribution": "box_1", "taxable_amount": "box_2a"},
    (("box_4", "box_1", 1.0), ("box_2a", "box_1", 1.0)),
)

FORM_1099_G = form_1099(
    DocType.FORM_1099_G,
    "G",
    "0120",
    "Form 1099-G certain government payments (unemployment, state refunds)",
    (
        r"unemployment\s+compensation",
        r"state\s+or\s+local\s+income\s+tax\s+refunds",
        r"taxable\s+grants",
        r"agriculture\s+payments",
    ),
    (
        f("box_1", "money", "1 Unemployment compensation"),
        f("box_2", "money", "2 State or local income tax refunds, credits, or offsets"),
        f("box_4", "money", "4 Federal income tax withheld"),
    ),
    ("payer_tin", "recipient_tin", "box_1", "box_2"),
    {"unemployment_compensation": "box_1", "state_refund": "box_2"},
    _withholding_under("box_1"),
)

FORM_1099_SSA = DocTypeSpec(
    DocType.FORM_1099_SSA,
    Category.INCOME,
    "Form SSA-1099 social security benefit statement",
    Signature(
        DocType.FORM_1099_SSA,
        titles=(r"ssa-?\s?1099", r"social\s+security\s+benefit\s+statement"),
        labels=(
            r"benefits\s+paid",
            r"benefits\s+repaid",
            r"net\s+benefits",
            r"beneficiary",
            r"description\s+of\s+amount",
            r"voluntary\s+federal\s+income\s+tax",
        ),
        negatives=p.NOT_INCOME_FORMS,
    ),
    DocumentSchema(
        DocType.FORM_1099_SSA,
        (
            f("beneficiary_name", "text", "1 Name of beneficiary", key=True),
            f("beneficiary_ssn", "ssn", "2 Beneficiary's social security number", key=True),
            f("box_3", "money", "3 Benefits paid in"),
            f("box_4", "money", "4 Benefits repaid to SSA in"),
            f("box_5", "money", "5 Net benefits for", key=True),
            f("tax_year", "year", "Tax year"),
        ),
        identity=("beneficiary_ssn", "box_5"),
        aliases={"net_benefits": "box_5"},
    ),
)
