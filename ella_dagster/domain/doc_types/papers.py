"""Papers that are not IRS forms: statements, licences, letters, receipts; OTHER and UNKNOWN."""

from __future__ import annotations

from ella_dagster.domain.doc_types import patterns as p
from ella_dagster.domain.doc_types.names import Category, DocType
from ella_dagster.domain.doc_types.spec import DocTypeSpec, DocumentSchema, Signature, f

BANK_STATEMENT = DocTypeSpec(
    DocType.BANK_STATEMENT,
    Category.INCOME,
    "bank account statement (not a credit card statement)",
    Signature(
        DocType.BANK_STATEMENT,
        titles=(
            r"(account|bank|checking|savings)\s+statement|statement\s+period|relev[eé]\s+de\s+compte|estado\s+de\s+cuenta",
            r"\bbank\b|\bbanque\b|\bbanco\b|credit\s+union",
        ),
        labels=(
            r"beginning\s+balance|opening\s+balance|previous\s+balance|solde\s+pr[eé]c[eé]dent|saldo\s+anterior",
            r"ending\s+balance|closing\s+balance",
            r"deposits",
            r"withdrawals|debits",
            r"account\s+(number|no)",
            r"checking|savings",
            r"daily\s+balance|balance\s+summary",
        ),
        negatives=(
            r"credit\s+card|minimum\s+payment|credit\s+limit",
            r"mortgage|escrow",
            r"pay\s*stub|earnings\s+statement|net\s+pay",
            p.FORM_1099_NAME + r"|\bw-?2\b",
        ),
    ),
    DocumentSchema(
        DocType.BANK_STATEMENT,
        (
            f("bank_name", "text", "Bank"),
            f("account_holder", "text", "Account holder", key=True),
            f("account_number", "code", "Account number", key=True),
            f("period_start", "date", "Statement period from"),
            f("period_end", "date", "Statement period to", key=True),
            f("beginning_balance", "money", "Beginning balance"),
            f("ending_balance", "money", "Ending balance", key=True),
        ),
        identity=("account_number", "period_end", "ending_balance"),
    ),
    source_field="bank_name",
)

PROFIT_LOSS_STATEMENT = DocTypeSpec(
    DocType.PROFIT_LOSS_STATEMENT,
    Category.INCOME,
    "business profit and loss statement",
    Signature(
        DocType.PROFIT_LOSS_STATEMENT,
        titles=(r"profit\s+(and|&)\s+loss", r"income\s+statement|statement\s+of\s+operations"),
        labels=(
            r"revenue|\bsales\b",
            r"cost\s+of\s+goods\s+sold",
            r"gross\s+profit",
            r"total\s+expenses",
            r"net\s+(income|profit)",
            r"operating\s+expenses",
        ),
        negatives=(p.FORM_1099_NAME, r"wage\s+and\s+tax"),
    ),
)

BUSINESS_LICENSE = DocTypeSpec(
    DocType.BUSINESS_LICENSE,
    Category.OTHER,
    "business license or permit",
    Signature(
        DocType.BUSINESS_LICENSE,
        titles=(
            r"business\s+licen[cs]e|business\s+tax\s+(certificate|receipt)",
            # "City of Austin", not the address labels of every information return ("city or town, state
            # or province", which OCR reads as "city of town", "state of province")
            r"(city|county|state)\s+of\s+(?!town\b|province\b)\w+",
        ),
        labels=(
            r"licen[cs]e\s+(no|number|#)",
            r"business\s+name",
            r"expir",
            r"issued|issue\s+date",
            r"owner|proprietor",
            r"business\s+(location|address)",
        ),
        negatives=(r"driver", p.FORM_1099_NAME, r"wage\s+and\s+tax"),
    ),
)

EIN_LETTER = DocTypeSpec(
    DocType.EIN_LETTER,
    Category.OTHER,
    "IRS EIN assignment letter (CP 575 / 147C)",
    Signature(
        DocType.EIN_LETTER,
        titles=(
            r"we\s+assigned\s+you\s+an?\s+employer\s+identification\s+number|cp\s*575|147c",
            r"employer\s+identification\s+number",
        ),
        labels=(
            r"department\s+of\s+the\s+treasury",
            r"internal\s+revenue\s+service",
            r"(?<![\d-])\d{2}-\d{7}(?![\d-])",
            r"keep\s+this\s+notice",
            r"thank\s+you\s+for\s+applying",
        ),
        negatives=(r"wages,?\s+tips", p.FORM_1099_NAME, r"medicare"),
    ),
)

RECEIPT = DocTypeSpec(
    DocType.RECEIPT,
    Category.EXPENSE,
    "receipt or invoice for a purchase or expense",
    Signature(
        DocType.RECEIPT,
        # the word, in the languages clients' receipts are printed in (travel, a relative's bills)
        titles=(r"\breceipt\b|\bre[cç]u\b|\brecibo\b|\bquittung\b|\bricevuta\b|\bkassenbon\b", r"\btotal\b"),
        labels=(
            r"sub\s*total",
            r"\btax\b",
            r"\bcash\b|\bchange\b(?:\s+due)?\W{0,3}\d|\bvisa\b|mastercard|\bdebit\b",  # not "will not change"
            r"\bqty\b|\bitems?\b",  # not "itemizes"
            r"thank\s+you",
            r"\bpaid\b|\bpay[eé]\b|\bpagado\b|\bbezahlt\b",
            # prices in euros or pounds: "9,50 €", "£4.20" (dollars are on every form)
            r"\d[.,]\s?\d{2}\s?[€£]|[€£]\s?\d+[.,]\d{2}",
        ),
        negatives=(
            r"child\s*care|day\s*care|preschool",
            p.FORM_1099_NAME + r"|wage\s+and\s+tax",
            r"statement\s+period",
            # a bill or a statement asks for money; a receipt says it was paid
            r"amount\s+due|payment\s+due|due\s+date|balance\s+due|\binvoice\b",
            r"escrow|mortgage|\bloan\b|closing\s+(disclosure|costs)",
            r"\bkwh\b|meter\s+read|billing\s+period|service\s+period",
            r"relev[eé]\s+de\s+compte|opening\s+balance|ending\s+balance",
            # a tax form's own print: its OMB number, the parties' labels
            r"\bomb\s+n[o0]\b|(?<!\d)" + p.omb(r"\d{4}"),
            r"(?:payer|recipient|employer|employee)'?s\s+(?:name|tin|social)",
        ),
        enough=5,  # a receipt prints a few of these; the languages' labels only add ways to find them
    ),
)

DAYCARE_RECEIPT = DocTypeSpec(
    DocType.DAYCARE_RECEIPT,
    Category.EXPENSE,
    "daycare or child care provider receipt",
    Signature(
        DocType.DAYCARE_RECEIPT,
        titles=(r"child\s*care|day\s*care|preschool", r"\breceipt\b|statement\s+of\s+payments"),
        labels=(
            r"provider",
            r"tax\s+id|\bein\b",
            r"child(ren)?'?s?\s+name|\bchild\b",
            r"amount\s+paid",
            r"dates?\s+of\s+(care|service)",
            r"tuition",
        ),
        negatives=(p.FORM_1099_NAME + r"|wage\s+and\s+tax",),
    ),
)

# Documents that look like tax paperwork but are none of the types: recognised, answered as OTHER with a
# confidence that never auto-links (engines/rules.py weighs this evidence apart from the others').
OTHER = DocTypeSpec(
    DocType.OTHER,
    Category.OTHER,
    "a recognisable document that is none of the above (W-9, Form 1040, letters, bills)",
    Signature(
        DocType.OTHER,
        titles=(
            r"request\s+for\s+taxpayer|individual\s+income\s+tax\s+return|pay\s*stub|earnings\s+statement|"
            r"credit\s+card|mortgage\s+statement|utility|invoice|\bdear\b|sincerely",
        ),
        labels=(
            r"net\s+pay|year\s+to\s+date|\bytd\b",
            r"minimum\s+payment|payment\s+due|credit\s+limit",
            r"escrow|principal\s+balance",
            r"amount\s+due|due\s+date",
            r"filing\s+status|adjusted\s+gross",
        ),
    ),
    has_tax_year=False,
)

UNKNOWN = DocTypeSpec(
    DocType.UNKNOWN,
    Category.OTHER,
    "unreadable, blank, or impossible to tell",
    None,
    has_tax_year=False,
)
