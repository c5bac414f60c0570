"""Evidence-based classification and field finding over OCR text (no engine, no Dagster).

Confidence comes from which anchors of a type were found (form titles, box labels), never from
the OCR engine's own word confidence, which stays high even when it read almost nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ella_dagster.domain.doc_types import REGISTRY, DocType, Signature, spec_for
from ella_dagster.domain.doc_types.patterns import MRZ_FILLER, US_STATE, US_STATES

__all__ = ["MRZ_FILLER", "US_STATES", "Signature"]

RULES_VERSION = "rules-15"  # 2: page prep; 3: every type; 4: OSD, 2nd reading; 5: tax year; 6: crop;
# 7: colour-aware crop, small text enlarged, box borders erased, garbled words repaired, header titles;
# 8: heading found by word position; a title in it recognises a page but never raises its confidence
# 9: IDs by their printed structure (MRZ, AAMVA fields, the SSN card's phrase), `enough` labels, OMB
# numbers, letters and bills are not forms or receipts; 10: a page with nothing recognised is read again as
# one block (engines/offline.py); 11: a bundle's pages read like a first page (second reading, cells), W-2
# labels by their surest words, OMB numbers as OCR misreads them, address labels are no licence's city
# 12: a money/TIN cell that reads garbled, weakly or (key fields) not at all is read again on its own
# 13: rules erased before upscaling; large filled print (names read letter by letter, specks, titles)
# 14: tiny print enlarged up to 4x (was 2.5x); a trusted name is confirmed by a second reading of its line
# 15: a card's title on two lines with specks between; receipts in other languages, priced in euros/pounds


# The types' evidence, in the registry's order (the first of two equal scores wins); OTHER's is weighed
# apart: it marks paperwork that is none of the types.
SIGNATURES: tuple[Signature, ...] = tuple(
    s.evidence for s in REGISTRY if s.evidence is not None and s.doc_type is not DocType.OTHER
)
OTHER_SIGNATURE: Signature = spec_for(DocType.OTHER).evidence  # type: ignore[assignment]
# Patterns that are evidence but not vocabulary to repair OCR towards (lexicon.py): a state name is one
# edit from people's names ("Georgina").
NOT_VOCABULARY = frozenset({US_STATE})
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
