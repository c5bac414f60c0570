"""Evidence-based classification and field finding over OCR text (no engine, no Dagster).

Confidence comes from which anchors of a type were found (form titles, box labels), never from
the OCR engine's own word confidence, which stays high even when it read almost nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ella_dagster.domain.doc_types import DocType

RULES_VERSION = "rules-10"  # 2: page prep; 3: every type; 4: OSD, 2nd reading; 5: tax year; 6: crop;
# 7: colour-aware crop, small text enlarged, box borders erased, garbled words repaired, header titles;
# 8: heading found by word position; a title in it recognises a page but never raises its confidence
# 9: IDs by their printed structure (MRZ, AAMVA fields, the SSN card's phrase), `enough` labels, OMB
# numbers, letters and bills are not forms or receipts; 10: a page with nothing recognised is read again as
# one block (engines/offline.py)


US_STATES = {
    "ALABAMA": "AL",
    "ALASKA": "AK",
    "ARIZONA": "AZ",
    "ARKANSAS": "AR",
    "CALIFORNIA": "CA",
    "COLORADO": "CO",
    "CONNECTICUT": "CT",
    "DELAWARE": "DE",
    "FLORIDA": "FL",
    "GEORGIA": "GA",
    "HAWAII": "HI",
    "IDAHO": "ID",
    "ILLINOIS": "IL",
    "INDIANA": "IN",
    "IOWA": "IA",
    "KANSAS": "KS",
    "KENTUCKY": "KY",
    "LOUISIANA": "LA",
    "MAINE": "ME",
    "MARYLAND": "MD",
    "MASSACHUSETTS": "MA",
    "MICHIGAN": "MI",
    "MINNESOTA": "MN",
    "MISSISSIPPI": "MS",
    "MISSOURI": "MO",
    "MONTANA": "MT",
    "NEBRASKA": "NE",
    "NEVADA": "NV",
    "NEW HAMPSHIRE": "NH",
    "NEW JERSEY": "NJ",
    "NEW MEXICO": "NM",
    "NEW YORK": "NY",
    "NORTH CAROLINA": "NC",
    "NORTH DAKOTA": "ND",
    "OHIO": "OH",
    "OKLAHOMA": "OK",
    "OREGON": "OR",
    "PENNSYLVANIA": "PA",
    "RHODE ISLAND": "RI",
    "SOUTH CAROLINA": "SC",
    "SOUTH DAKOTA": "SD",
    "TENNESSEE": "TN",
    "TEXAS": "TX",
    "UTAH": "UT",
    "VERMONT": "VT",
    "VIRGINIA": "VA",
    "WASHINGTON": "WA",
    "WEST VIRGINIA": "WV",
    "WISCONSIN": "WI",
    "WYOMING": "WY",
}


@dataclass(frozen=True)
class Signature:
    doc_type: DocType
    titles: tuple[str, ...]
    labels: tuple[str, ...]
    negatives: tuple[str, ...] = ()
    # How many labels count as all of them. An ID card prints only some of its many possible labels,
    # and OCR of a small card loses some more: any `enough` of them is full label evidence.
    enough: int | None = None


# ---- identity documents ---------------------------------------------------------------------
# ID cards are small, colourful and photographed: their OCR is noisy. The patterns below are the
# documents' printed structure, written to survive the usual misreadings.

# The machine-readable zone (ICAO 9303) of a passport's data page: two lines of 44 characters of
# A-Z, 0-9 and '<'. OCR reads the filler '<' as '<', '«', 'K' or a run of 'c', 'e', 's' and lets spaces
# in. Line 1: "P<" (or a subtype letter), the issuing state, the surname, "<<", the given names.
# Line 2: document number, check digit, nationality, birth date (YYMMDD), check digit, sex, expiry.
# Both are upper case by definition: matched case-sensitively.
MRZ_NAMES_LINE = r"(?-i:(?<![A-Z0-9])P ?[<«A-Z] ?[A-Z]{3} ?[A-Z][A-Z ]{1,40}?[<«] ?[<«K])"
# Digits as OCR misreads them in the MRZ font: 0/O, 1/I/l, 5/S, 2/Z, 8/B.
_MRZ_DIGIT = "[0-9OIlSZB]"
MRZ_NUMBERS_LINE = (
    rf"(?-i:[A-Z0-9<]{{9}} ?[0-9<OIl] ?[A-Z<]{{3}} ?(?:{_MRZ_DIGIT} ?){{6}}[0-9<OIl] ?[MFX<]"
    rf" ?(?:{_MRZ_DIGIT} ?){{6}})"
)
# A line of 40 or more MRZ characters with a run of filler: a passport's (TD3) MRZ line, also when
# orientation detection turned the page upside down and the filler reads '>'.
MRZ_TD3_LINE = r"(?-i:(?=[A-Z0-9<>« ]{0,60}[<>«]{3})(?:[A-Z0-9<>«] ?){40,})"
# Filler: a run of '<' (or '>' upside down), or a longer one misread as K, k, e, c, s.
MRZ_FILLER = r"(?:[<>«] ?){5,}|(?-i:[<«K](?: ?[<«Kkecs]){8,})"
# An identity card's MRZ (TD1: three lines of 30, "I", "A" or "C" then the issuing state) is not a
# passport's unless the card says it is one (a US passport card).
MRZ_ID_CARD_LINE = r"(?-i:(?<![A-Z0-9])[IAC][A-Z<][A-Z]{3}[A-Z0-9<]{9}[0-9<][A-Z0-9<]{10,})"

# A US state as a licence prints it: the name ("MONTANA", "WEST VIRGINIA") or the two-letter code in
# an address ("HELENA, MT 59601"). The codes only in upper case ("in", "or", "me" are words).
_STATE_NAMES = "|".join(name.replace(" ", r"\s*") for name in sorted(US_STATES, key=len, reverse=True))
_STATE_CODES = "|".join(sorted(set(US_STATES.values())))
US_STATE = rf"\b(?:{_STATE_NAMES})\b|(?-i:\b(?:{_STATE_CODES})[,.]?\s+\d{{5}}(?:-\d{{4}})?\b)"
# Patterns that are evidence but not vocabulary to repair OCR towards (lexicon.py): a state name is one
# edit from people's names ("Georgina").
NOT_VOCABULARY = frozenset({US_STATE})

# A licence field label followed by its date, with the label as OCR often misreads it
# ("DOB" as "D0B", "pos", "vos", "008"; "EXP" as "EXe"; "ISS" as "1ss").
_CARD_DATE = r"\s*[:.;,]?\s*\d{2}[/-]\d{2}[/-]\d{2,4}"
DATE_OF_BIRTH = rf"\bdob\b|date\s+of\s+birth|\b(?:d[o0]b|[dpv0][o0][b8s]|0[o0]8|pop)\b{_CARD_DATE}"
EXPIRES = rf"\bexp\b|expires|\bexpiry\b|\b[e€][x×k][pe]\b{_CARD_DATE}"
ISSUED = rf"\biss\b|issued|\b[i1l][s5]{{2}}\b{_CARD_DATE}"
# The AAMVA card design numbers its fields: "3 DOB", "4a ISS", "4b EXP", "4d DLN", "9a END", "12 REST".
AAMVA_NUMBERED_FIELD = (
    r"\b(?:4a\s*iss|4b\s*exp|4d\s*(?:dln|lic|dl|num|cust)|9a\s*end|12\s*rest|15\s*sex|16\s*hgt|18\s*eyes)"
)
# "THIS NUMBER HAS BEEN ESTABLISHED FOR" is printed on every SSN card and on nothing else; OCR splits
# or drops letters of it.
SSN_CARD_ESTABLISHED = r"established\s+for|tablis?h\w*\s+for|this\s+number\s+has\s+been|number\s+has\s+bee"
SSN_NUMBER = r"(?<![\d-])\d{3}\s?[-=~.\s\u2010-\u2015]\s?\d{2}\s?[-=~.\s\u2010-\u2015]\s?\d{4}(?![\d-])"


_NOT_INCOME_FORMS = (
    r"request\s+for\s+taxpayer",  # W-9
    r"individual\s+income\s+tax\s+return",  # 1040
    r"net\s+pay",
    r"pay\s*stub|earnings\s+statement|pay\s+period",
    r"\bdear\b|sincerely|this\s+letter",  # a letter about the form, not the form
)

# Each IRS information return prints its own OMB number in its title block.
OMB = {
    DocType.W2: "0008",
    DocType.FORM_1099_INT: "0112",
    DocType.FORM_1099_DIV: "0110",
    DocType.FORM_1099_NEC: "0116",
    DocType.FORM_1099_MISC: "0115",
    DocType.FORM_1099_K: "2205",
    DocType.FORM_1099_R: "0119",
    DocType.FORM_1099_G: "0120",
    DocType.SCHEDULE_K1: "0123",
    DocType.FORM_1098: "1380",
    DocType.FORM_1098_T: "1574",
    DocType.FORM_1095_A: "2232",
}


def omb(doc_type: DocType) -> str:
    return rf"1545\W?{OMB[doc_type]}\b"


# "1099" as a form's name, not digits inside an EIN or an account number ("09-1099887").
FORM_1099_NAME = r"(?<![\d-])1099(?!\d)"

_1099_PARTY_LABELS = (
    r"payer'?s?\s+(name|tin|federal)",
    r"recipient'?s?\s+(name|tin)",
    r"federal\s+income\s+tax\s+withheld",
)
_NOT_A_1099 = _NOT_INCOME_FORMS + (r"wage\s+and\s+tax\s+statement",)


def _1099(doc_type: DocType, code: str, title: str, labels: tuple[str, ...], others: tuple[str, ...]) -> Signature:
    """A 1099 variant: its own code and title; another variant's title is a counter-indication."""
    return Signature(
        doc_type,
        titles=(rf"1099-?\s?{code}\b", title),
        labels=_1099_PARTY_LABELS + labels + (omb(doc_type),),
        negatives=_NOT_A_1099 + others,
    )


_TITLES_1099 = {
    "INT": r"interest\s+income",
    "DIV": r"dividends\s+and\s+distributions",
    "NEC": r"nonemployee\s+compensation",
    "MISC": r"miscellaneous\s+(information|income)",
    "K": r"payment\s+card\s+and\s+third\s+party",
    "R": r"distributions\s+from\s+pensions",
    "G": r"certain\s+government\s+payments",
}


def _others(code: str) -> tuple[str, ...]:
    return tuple(title for other, title in _TITLES_1099.items() if other != code)


SIGNATURES: tuple[Signature, ...] = (
    Signature(
        DocType.W2,
        titles=(r"wage\s+and\s+tax\s+statement", r"\bw-?\s?2\b"),
        labels=(
            r"wages,?\s+tips,?\s+other\s+comp",
            r"federal\s+income\s+tax\s+withheld",
            r"social\s+security\s+wages",
            r"social\s+security\s+tax\s+withheld",
            r"medicare\s+wages",
            r"medicare\s+tax\s+withheld",
            r"employer\s+identification\s+number|employer'?s?\s+id",
            r"employee'?s?\s+social\s+security\s+number",
            r"employer'?s?\s+name",
            r"control\s+number",
            omb(DocType.W2),
            # the W-2's own copy captions and box labels
            r"filed\s+with\s+employee'?s|for\s+employee'?s\s+records",
            r"statutory\s+employee|nonqualified\s+plans|dependent\s+care\s+benefits|third-party\s+sick\s+pay",
        ),
        enough=8,
        negatives=_NOT_INCOME_FORMS + (FORM_1099_NAME,),
    ),
    _1099(
        DocType.FORM_1099_INT,
        "INT",
        _TITLES_1099["INT"],
        (
            r"early\s+withdrawal\s+penalty",
            r"savings\s+bonds",
            r"investment\s+expenses",
            r"foreign\s+tax\s+paid",
            r"tax-exempt\s+interest",
        ),
        _others("INT"),
    ),
    _1099(
        DocType.FORM_1099_DIV,
        "DIV",
        _TITLES_1099["DIV"],
        (
            r"ordinary\s+dividends",
            r"qualified\s+dividends",
            r"capital\s+gain\s+distr",
            r"section\s+199a",
            r"nondividend\s+distributions",
        ),
        _others("DIV"),
    ),
    _1099(
        DocType.FORM_1099_NEC,
        "NEC",
        _TITLES_1099["NEC"],
        (r"state\s+tax\s+withheld", r"direct\s+sales", r"state\s+income"),
        _others("NEC"),
    ),
    _1099(
        DocType.FORM_1099_MISC,
        "MISC",
        _TITLES_1099["MISC"],
        (r"\brents\b", r"royalties", r"other\s+income", r"fishing\s+boat", r"medical\s+and\s+health\s+care"),
        _others("MISC"),
    ),
    _1099(
        DocType.FORM_1099_K,
        "K",
        _TITLES_1099["K"],
        (
            r"gross\s+amount",
            r"card\s+not\s+present",
            r"merchant\s+category",
            r"payment\s+transactions",
            r"settlement\s+entity|filer'?s?\s+name",
        ),
        _others("K"),
    ),
    _1099(
        DocType.FORM_1099_R,
        "R",
        _TITLES_1099["R"],
        (
            r"gross\s+distribution",
            r"taxable\s+amount",
            r"distribution\s+code",
            r"ira/sep/simple",
            r"employee\s+contributions",
        ),
        _others("R"),
    ),
    _1099(
        DocType.FORM_1099_G,
        "G",
        _TITLES_1099["G"],
        (
            r"unemployment\s+compensation",
            r"state\s+or\s+local\s+income\s+tax\s+refunds",
            r"taxable\s+grants",
            r"agriculture\s+payments",
        ),
        _others("G"),
    ),
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
        negatives=_NOT_INCOME_FORMS,
    ),
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
            omb(DocType.SCHEDULE_K1),
        ),
        negatives=_NOT_INCOME_FORMS,
    ),
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
            omb(DocType.FORM_1098),
        ),
        negatives=_NOT_INCOME_FORMS + (r"escrow\s+balance|amount\s+due|payment\s+due", r"tuition"),
    ),
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
            omb(DocType.FORM_1098_T),
        ),
        negatives=_NOT_INCOME_FORMS,
    ),
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
            omb(DocType.FORM_1095_A),
        ),
        negatives=_NOT_INCOME_FORMS,
    ),
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
            FORM_1099_NAME + r"|\bw-?2\b",
        ),
    ),
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
        negatives=(FORM_1099_NAME, r"wage\s+and\s+tax"),
    ),
    Signature(
        DocType.BUSINESS_LICENSE,
        titles=(r"business\s+licen[cs]e|business\s+tax\s+(certificate|receipt)", r"(city|county|state)\s+of\s+\w+"),
        labels=(
            r"licen[cs]e\s+(no|number|#)",
            r"business\s+name",
            r"expir",
            r"issued|issue\s+date",
            r"owner|proprietor",
            r"business\s+(location|address)",
        ),
        negatives=(r"driver", FORM_1099_NAME, r"wage\s+and\s+tax"),
    ),
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
        negatives=(r"wages,?\s+tips", FORM_1099_NAME, r"medicare"),
    ),
    Signature(
        DocType.RECEIPT,
        titles=(r"\breceipt\b", r"\btotal\b"),
        labels=(
            r"sub\s*total",
            r"\btax\b",
            r"\bcash\b|\bchange\b|\bvisa\b|mastercard|\bdebit\b",
            r"\bqty\b|\bitem",
            r"thank\s+you",
        ),
        negatives=(
            r"child\s*care|day\s*care|preschool",
            FORM_1099_NAME + r"|wage\s+and\s+tax",
            r"statement\s+period",
            # a bill or a statement asks for money; a receipt says it was paid
            r"amount\s+due|payment\s+due|due\s+date|balance\s+due|\binvoice\b",
            r"escrow|mortgage|\bloan\b|closing\s+(disclosure|costs)",
            r"\bkwh\b|meter\s+read|billing\s+period|service\s+period",
            r"relev[eé]\s+de\s+compte|opening\s+balance|ending\s+balance",
        ),
    ),
    Signature(
        DocType.BIRTH_CERTIFICATE,
        titles=(r"certificate\s+of\s+(live\s+)?birth|birth\s+certificate", r"vital\s+(records|statistics)"),
        labels=(
            r"date\s+of\s+birth",
            r"place\s+of\s+birth|county\s+of\s+birth",
            r"mother",
            r"father",
            r"registrar",
            r"\bsex\b",
        ),
        negatives=(r"driver", r"passport"),
    ),
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
        negatives=(FORM_1099_NAME + r"|wage\s+and\s+tax",),
    ),
    Signature(
        DocType.PASSPORT,
        titles=(
            # the word, in the languages passports print it in, as OCR reads it
            r"\bpas{1,2}[ae]?port[eo]?\b|\bpaspoort\b|\bpassaporto\b|\breisepass\b",
            r"united\s+states\s+of\s+america|nationality|nationalit[eé]",
            rf"{MRZ_NAMES_LINE}|{MRZ_TD3_LINE}",
        ),
        labels=(
            r"surname",
            r"given\s+names?",
            r"date\s+of\s+birth",
            r"place\s+of\s+birth",
            r"date\s+of\s+issue|issued\s+on",
            r"date\s+of\s+expir|expires\s+on",
            r"authority|issuing\s+(office|country|state)",
            r"passport\s+(no|number|card)",
            MRZ_NUMBERS_LINE,
            MRZ_FILLER,
        ),
        negatives=(
            r"driver",
            r"social\s+security\s+number",
            r"\bdear\b|sincerely",  # a letter that mentions a passport
            rf"\A(?![\s\S]*passport\s+card)[\s\S]*?{MRZ_ID_CARD_LINE}",
            r"identidad|identity\s+card|national\s+id",
        ),
        enough=4,
    ),
    Signature(
        DocType.SSN_CARD,
        titles=(r"s[o0]c[i1l]a[l1]\s*secur", SSN_CARD_ESTABLISHED),
        labels=(
            SSN_NUMBER,
            r"signature",
            r"this\s+number\s+has\s+been|has\s+been\s+establ",
            r"administration|united\s+states\s+of\s+america",
        ),
        negatives=(
            r"wages",
            FORM_1099_NAME,
            r"medicare",
            r"withheld",
            r"statement",
            r"employer",
            r"benefit",
            # forms and letters ask for the number; the card never names it so
            r"social\s+security\s+n(?:umber|o\b)|\bssn\b|\bdear\b|sincerely",
        ),
        enough=2,
    ),
    Signature(
        DocType.DRIVER_LICENSE,
        titles=(
            r"[il1]\s?ver\W{0,3}s?\W{0,3}\s*licen|\bdrivers?\s+lic\b|identification\s+card|commercial\s+driver",
            # "DL" glued to the number it labels ("DLF1476760") is as much a licence anchor as "DL" alone.
            r"\bdl\b|\bdl\s?[a-z]?\d{5,}|\bdln\b|\b[lu]ic\s?(?:#|no\b)|licen[sc]e\s+(?:no|number|#)",
        ),
        labels=(
            DATE_OF_BIRTH,
            EXPIRES,
            r"\bclass\s*[:.]?\s*[a-dm]?\b",  # OCR glues the class letter on: "CLASSC"
            ISSUED,
            r"\bsex\s*[:.]?\s*[mfx]?\b",
            r"\bhgt\b|\bhgt\s*\d|height",
            r"\be[yv]es\b",  # "eves"
            r"\bdd\b|restr|endorse|\bend\s*[:.]?\s*none|\bnone\s+none\b",
            r"\bwgt\b|weight|\bhair\b",
            r"donor|veteran|real\s+id|federal\s+limits",
            AAMVA_NUMBERED_FIELD,
            US_STATE,
        ),
        negatives=(r"wages", FORM_1099_NAME, r"withheld", r"passport", r"business\s+licen", r"\bdear\b|sincerely"),
        enough=6,
    ),
)

# Documents that look like tax paperwork but are none of the types: recognised, answered as OTHER
# with a confidence that never auto-links.
OTHER_SIGNATURE = Signature(
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
)
OTHER_MAX_CONFIDENCE = 0.55


@dataclass(frozen=True)
class Evidence:
    doc_type: DocType
    score: float
    found: list[str]
    missing: int
    negatives: list[str]
    anchored: bool = False  # a title printed where titles are printed: the heading

    @property
    def rank(self) -> float:
        """The score with the heading's weight: what decides the type, never the confidence. A page with
        counter-indications gets no weight from its heading (a letter titled with the form it is about)."""
        return self.score + (HEADER_BONUS if self.anchored and not self.negatives else 0.0)


def _search(pattern: str, text: str) -> bool:
    return re.search(pattern, text, re.IGNORECASE) is not None


HEADER_LINES = 3
HEADER_BONUS = 0.15


def evidence_for(sig: Signature, text: str, heading: str | None = None) -> Evidence:
    titles = [p for p in sig.titles if _search(p, text)]
    labels = [p for p in sig.labels if _search(p, text)]
    negatives = [p for p in sig.negatives if _search(p, text)]
    needed = sig.enough or len(sig.labels)
    score = 0.5 * len(titles) / len(sig.titles) + 0.5 * min(1.0, len(labels) / needed)
    score -= 0.25 * min(2, len(negatives))
    # A title where a title is printed (the first lines) is a layout anchor, worth more than one
    # anywhere: a blurred photo may lose every small label yet keep its large heading. It lets such a
    # page be recognised, but only the labels found raise the confidence towards auto-linking.
    header = heading if heading is not None else "\n".join(lines_of(text)[:HEADER_LINES])
    anchored = any(_search(p, header) for p in titles)
    found = titles + labels
    return Evidence(sig.doc_type, max(0.0, score), found, max(0, needed - len(labels)), negatives, anchored)


UNKNOWN_BELOW = 0.35


def classify_text(text: str, heading: str | None = None) -> tuple[DocType, float, str, list[dict[str, object]]]:
    """Returns (doc type, confidence, reasoning, alternatives). `heading`: the page's first printed
    lines when the OCR knows where they are (else the text's first lines stand for them)."""
    ranked = sorted((evidence_for(sig, text, heading) for sig in SIGNATURES), key=lambda e: e.rank, reverse=True)
    best, runner_up = ranked[0], ranked[1]
    other = evidence_for(OTHER_SIGNATURE, text)
    if best.rank < UNKNOWN_BELOW or other.score > best.rank:
        if other.score >= UNKNOWN_BELOW:
            confidence = round(min(OTHER_MAX_CONFIDENCE, 0.3 + 0.4 * other.score), 2)
            return DocType.OTHER, confidence, f"looks like {len(other.found)} markers of a non-client document", []
        confidence = round(0.1 + 0.4 * best.score, 2)
        return (
            DocType.UNKNOWN,
            confidence,
            f"no document type had enough evidence (best {best.doc_type.value} at {best.rank:.2f})",
            [],
        )
    confidence = 0.30 + 0.67 * best.score
    if runner_up.score > 0.6 * best.score:
        confidence -= 0.10
    confidence = round(min(0.97, max(0.0, confidence)), 2)
    reasoning = f"{len(best.found)} anchors of {best.doc_type.value} found, {best.missing} labels missing"
    if best.anchored:
        reasoning += ", title in the heading"
    if best.negatives:
        reasoning += f", {len(best.negatives)} counter-indications"
    alternatives = [
        {"doc_type": e.doc_type.value, "confidence": round(min(0.97, 0.30 + 0.67 * e.score), 2)}
        for e in ranked[1:4]
        if e.score > 0
    ]
    return best.doc_type, confidence, reasoning, alternatives if confidence < 0.80 else []


RECENT_FROM = 2000
# A year, not the start of an amount like "2000.00" or an id like "2019-0001".
_YEAR = re.compile(r"(?<![\d$.,-])(19[89]\d|20[0-3]\d)(?!\d|[.,]\d|-\d)")


def tax_year(text: str) -> int | None:
    """A year printed next to 'tax year' / 'calendar year' / the form title, else the most common year."""
    anchored = re.search(r"(?:tax|calendar)\s+year\s*:?\s*(19[89]\d|20[0-3]\d)", text, re.IGNORECASE)
    if anchored:
        return int(anchored.group(1))
    years = Counter(
        int(m.group(1))
        for m in _YEAR.finditer(text)
        if not text[: m.start()].rstrip().endswith("$")  # "$ 2000"
    )
    # Client documents are recent: a year in a form's revision date or an address is not the tax year.
    recent = {y: n for y, n in years.items() if y >= RECENT_FROM}
    return max(recent, key=lambda y: (recent[y], y)) if recent else None


# ---- field finding -------------------------------------------------------------------------

# Thousands separated by a comma (OCR often adds a space after it: "56, 288.36") or a space.
MONEY = re.compile(r"\$?\s*(\d{1,3}(?:(?:,\s?|\s)\d{3})+|\d+)[.,](\d{2})(?!\d)")
_DASH = "[-\u2010-\u2015~ ]"  # OCR reads a printed dash as any of these
SSN = re.compile(rf"(?<![\d-])(\d{{3}}){_DASH}(\d{{2}}){_DASH}(\d{{4}})(?![\d-])")
EIN = re.compile(rf"(?<![\d-])(\d{{2}}){_DASH}\s?(\d{{7}})(?![\d-])")
TIN = re.compile(rf"{SSN.pattern}|{EIN.pattern}")
DATE = re.compile(r"(?<!\d)(\d{1,2})[/-](\d{1,2})[/-](\d{4})(?!\d)")
NAME_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9&.,'\- ]{1,60}$")


def money(raw: str) -> str | None:
    match = MONEY.search(raw)
    if not match:
        return None
    whole = re.sub(r"[,\s]", "", match.group(1))
    return f"{int(whole)}.{match.group(2)}"


def ssn(raw: str) -> str | None:
    m = SSN.search(raw)
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None


def ein(raw: str) -> str | None:
    m = EIN.search(raw)
    return f"{m.group(1)}-{m.group(2)}" if m else None


def tin(raw: str) -> str | None:
    return ssn(raw) or ein(raw)


def iso_date(raw: str) -> str | None:
    m = DATE.search(raw)
    if not m:
        return None
    month, day, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def name(raw: str) -> str | None:
    # A neighbouring box's amount often shares the line: drop it.
    candidate = re.sub(r"\s+\$?\d[\d,]*\.\d{2}\b.*$", "", raw).strip(" :|")
    if NAME_LINE.match(candidate) and sum(c.isalpha() for c in candidate) >= 2:
        return re.sub(r"\s+", " ", candidate)
    return None


def year(raw: str) -> str | None:
    m = _YEAR.search(raw)
    return m.group(1) if m else None


def state(raw: str) -> str | None:
    m = re.search(r"\b([A-Z]{2})\b", raw)
    return m.group(1) if m and m.group(1) in US_STATES.values() else state_from_text(raw)


def code(raw: str) -> str | None:
    m = re.search(r"(?<![A-Za-z0-9])([A-Z0-9][A-Z0-9*-]{3,24})(?![A-Za-z0-9])", raw.strip(" :#|"))
    return m.group(1) if m and any(ch.isdigit() for ch in m.group(1)) else None


PARSERS: dict[str, Callable[[str], str | None]] = {
    "code": code,
    "year": year,
    "state": state,
    "money": money,
    "ssn": ssn,
    "ein": ein,
    "tin": tin,
    "date": iso_date,
    "text": name,
}


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def after_label(lines: list[str], label: str, kind: str, *, lookahead: int = 2) -> str | None:
    """The value on the label's own line (after it) or on one of the next lines."""
    parse = PARSERS[kind]
    pattern = re.compile(label, re.IGNORECASE)
    for index, line in enumerate(lines):
        match = pattern.search(line)
        if not match:
            continue
        rest = line[match.end() :]
        value = None if kind == "text" and _looks_like_label(rest) else parse(rest)
        if value:
            return value
        for following in lines[index + 1 : index + 1 + lookahead]:
            if _looks_like_label(following):
                break  # the next box starts: this one is empty
            value = parse(following)
            if value:
                return value
    return None


def paired_after_labels(lines: list[str], first: str, second: str, kind: str) -> tuple[str | None, str | None]:
    """Two boxes side by side ("PAYER'S TIN  RECIPIENT'S TIN"): their values share the next line, in order."""
    parse = PARSERS[kind]
    for index, line in enumerate(lines):
        a, b = re.search(first, line, re.IGNORECASE), re.search(second, line, re.IGNORECASE)
        if not (a and b and a.start() < b.start()):
            continue
        for following in lines[index + 1 : index + 3]:
            values = [parse(m.group(0)) for m in TIN.finditer(following)] if kind == "tin" else [parse(following)]
            values = [v for v in values if v]
            if len(values) >= 2:
                return values[0], values[1]
    return None, None


_LABEL_WORDS = re.compile(
    r"(^\d{1,2}[a-z]?\s+[A-Za-z]|employer|employee|payer|recipient|wages|withheld|compensation|number|address|name|tin\b|box|copy|"
    r"omb|form|income|penalty|control|statement|federal|state|street|city|balance|period|amount|dividends|"
    r"distributions|royalties|rents|benefits|lender|borrower|student|partner)",
    re.IGNORECASE,
)


def _looks_like_label(line: str) -> bool:
    return _LABEL_WORDS.search(line) is not None


def state_from_text(text: str) -> str | None:
    upper = text.upper()
    for state in sorted(US_STATES, key=len, reverse=True):  # WEST VIRGINIA before VIRGINIA
        if re.search(rf"\b{state}\b", upper):
            return US_STATES[state]
    return None
