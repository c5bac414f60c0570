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

RULES_VERSION = "rules-2"  # rules-2: illumination flattening and deskew before OCR


@dataclass(frozen=True)
class Signature:
    doc_type: DocType
    titles: tuple[str, ...]
    labels: tuple[str, ...]
    negatives: tuple[str, ...] = ()


_NOT_INCOME_FORMS = (
    r"request\s+for\s+taxpayer",  # W-9
    r"individual\s+income\s+tax\s+return",  # 1040
    r"net\s+pay",
    r"pay\s*stub|earnings\s+statement|pay\s+period",
)

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
        ),
        negatives=_NOT_INCOME_FORMS + (r"1099",),
    ),
    Signature(
        DocType.FORM_1099_INT,
        titles=(r"1099-?\s?int\b", r"interest\s+income"),
        labels=(
            r"payer'?s?\s+(name|tin|federal)",
            r"recipient'?s?\s+(name|tin)",
            r"early\s+withdrawal\s+penalty",
            r"savings\s+bonds",
            r"federal\s+income\s+tax\s+withheld",
            r"investment\s+expenses",
            r"foreign\s+tax\s+paid",
            r"tax-exempt\s+interest",
        ),
        negatives=_NOT_INCOME_FORMS + (r"nonemployee\s+compensation", r"wage\s+and\s+tax\s+statement"),
    ),
    Signature(
        DocType.FORM_1099_NEC,
        titles=(r"1099-?\s?nec\b", r"nonemployee\s+compensation"),
        labels=(
            r"payer'?s?\s+(name|tin)",
            r"recipient'?s?\s+(name|tin)",
            r"federal\s+income\s+tax\s+withheld",
            r"state\s+tax\s+withheld",
            r"direct\s+sales",
            r"state\s+income",
        ),
        negatives=_NOT_INCOME_FORMS + (r"interest\s+income", r"wage\s+and\s+tax\s+statement"),
    ),
    Signature(
        DocType.SSN_CARD,
        titles=(r"social\s+security", r"established\s+for"),
        labels=(
            r"(?<!\d)\d{3}[- ]\d{2}[- ]\d{4}(?!\d)",
            r"signature",
            r"this\s+number\s+has\s+been",
            r"administration|united\s+states\s+of\s+america",
        ),
        negatives=(r"wages", r"1099", r"medicare", r"withheld", r"statement", r"employer"),
    ),
    Signature(
        DocType.DRIVER_LICENSE,
        titles=(r"driver'?s?\s+licen[sc]e", r"\bdl\b|identification\s+card"),
        labels=(
            r"\bdob\b|date\s+of\s+birth",
            r"\bexp\b|expires",
            r"\bclass\b",
            r"\biss\b|issued",
            r"\bsex\b",
            r"\bhgt\b|height",
            r"\beyes\b",
            r"\bdd\b|restr|endorse",
        ),
        negatives=(r"wages", r"1099", r"withheld"),
    ),
)


@dataclass(frozen=True)
class Evidence:
    doc_type: DocType
    score: float
    found: list[str]
    missing: int
    negatives: list[str]


def _search(pattern: str, text: str) -> bool:
    return re.search(pattern, text, re.IGNORECASE) is not None


def evidence_for(sig: Signature, text: str) -> Evidence:
    titles = [p for p in sig.titles if _search(p, text)]
    labels = [p for p in sig.labels if _search(p, text)]
    negatives = [p for p in sig.negatives if _search(p, text)]
    score = 0.5 * len(titles) / len(sig.titles) + 0.5 * len(labels) / len(sig.labels)
    score -= 0.25 * min(2, len(negatives))
    return Evidence(sig.doc_type, max(0.0, score), titles + labels, len(sig.labels) - len(labels), negatives)


UNKNOWN_BELOW = 0.35


def classify_text(text: str) -> tuple[DocType, float, str, list[dict[str, object]]]:
    """Returns (doc type, confidence, reasoning, alternatives)."""
    ranked = sorted((evidence_for(sig, text) for sig in SIGNATURES), key=lambda e: e.score, reverse=True)
    best, runner_up = ranked[0], ranked[1]
    if best.score < UNKNOWN_BELOW:
        confidence = round(0.1 + 0.4 * best.score, 2)
        return (
            DocType.UNKNOWN,
            confidence,
            f"no document type had enough evidence (best {best.doc_type.value} at {best.score:.2f})",
            [],
        )
    confidence = 0.30 + 0.67 * best.score
    if runner_up.score > 0.6 * best.score:
        confidence -= 0.10
    confidence = round(min(0.97, max(0.0, confidence)), 2)
    reasoning = f"{len(best.found)} anchors of {best.doc_type.value} found, {best.missing} labels missing"
    if best.negatives:
        reasoning += f", {len(best.negatives)} counter-indications"
    alternatives = [
        {"doc_type": e.doc_type.value, "confidence": round(min(0.97, 0.30 + 0.67 * e.score), 2)}
        for e in ranked[1:4]
        if e.score > 0
    ]
    return best.doc_type, confidence, reasoning, alternatives if confidence < 0.80 else []


# A year, not the start of an amount like "2000.00" or an id like "2019-0001".
_YEAR = re.compile(r"(?<![\d$.,-])(19[89]\d|20[0-3]\d)(?!\d|[.,]\d|-\d)")


def tax_year(text: str) -> int | None:
    """A year printed next to 'tax year' / 'calendar year' / the form title, else the most common year."""
    anchored = re.search(r"(?:tax|calendar)\s+year\s*:?\s*(19[89]\d|20[0-3]\d)", text, re.IGNORECASE)
    if anchored:
        return int(anchored.group(1))
    years = Counter(int(y) for y in _YEAR.findall(text))
    return years.most_common(1)[0][0] if years else None


# ---- field finding -------------------------------------------------------------------------

MONEY = re.compile(r"\$?\s*(\d{1,3}(?:[,\s]\d{3})+|\d+)[.,](\d{2})(?!\d)")
SSN = re.compile(r"(?<![\d-])(\d{3})[- ](\d{2})[- ](\d{4})(?![\d-])")
EIN = re.compile(r"(?<![\d-])(\d{2})-\s?(\d{7})(?![\d-])")
TIN = re.compile(rf"{SSN.pattern}|{EIN.pattern}")
DATE = re.compile(r"(?<!\d)(\d{1,2})[/-](\d{1,2})[/-](\d{4})(?!\d)")
NAME_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9&.,'\- ]{1,60}$")

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
    candidate = raw.strip(" :|")
    if NAME_LINE.match(candidate) and sum(c.isalpha() for c in candidate) >= 2:
        return re.sub(r"\s+", " ", candidate)
    return None


PARSERS: dict[str, Callable[[str], str | None]] = {
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
    r"omb|form|income|penalty|control|statement|federal|state|street|city)",
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
