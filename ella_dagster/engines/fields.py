"""Fields of a page: read from their labels' cells by geometry (layout.py) where the page has word boxes,
else from the text lines (per-type finders, then every schema field after its own label)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ella_dagster.domain.doc_types import REGISTRY, DocType
from ella_dagster.domain.extraction import schema_for
from ella_dagster.engines import layout, rules
from ella_dagster.engines.ocr import PageText
from ella_dagster.engines.rules import after_label, lines_of

Finder = Callable[[str], dict[str, Any]]


def _w2(text: str) -> dict[str, Any]:
    lines = lines_of(text)
    return {
        "employer_ein": after_label(lines, r"employer\s+identification\s+number|employer'?s?\s+id", "ein")
        or rules.ein(text),
        "employer_name": after_label(lines, r"employer'?s?\s+name", "text"),
        "employee_ssn": after_label(lines, r"employee'?s?\s+social\s+security\s+number", "ssn") or rules.ssn(text),
        "employee_name": after_label(
            lines, r"employee'?s?\s+(first\s+)?name(\s+and\s+initial)?,?(\s+last\s+name)?", "text"
        ),
        "wages": after_label(lines, r"wages,?\s+tips,?\s+other\s+comp\w*", "money"),
        "federal_tax_withheld": after_label(lines, r"federal\s+income\s+tax\s+withheld", "money"),
        "social_security_wages": after_label(lines, r"social\s+security\s+wages", "money"),
        "social_security_tax": after_label(lines, r"social\s+security\s+tax\s+withheld", "money"),
        "medicare_wages": after_label(lines, r"medicare\s+wages(\s+and\s+tips)?", "money"),
        "medicare_tax": after_label(lines, r"medicare\s+tax\s+withheld", "money"),
        "tax_year": _year(text),
    }


def _parties(lines: list[str], text: str) -> dict[str, Any]:
    tins = [rules.tin(m.group(0)) for m in rules.TIN.finditer(text)]
    payer_label, recipient_label = (
        r"payer'?s?\s+(tin|federal\s+identification)",
        r"recipient'?s?\s+(tin|identification)",
    )
    payer_tin, recipient_tin = rules.paired_after_labels(lines, payer_label, recipient_label, "tin")
    return {
        "payer_name": after_label(lines, r"payer'?s?\s+name", "text"),
        "payer_tin": payer_tin or after_label(lines, payer_label, "tin") or (tins[0] if tins else None),
        "recipient_name": after_label(lines, r"recipient'?s?\s+name", "text"),
        "recipient_tin": recipient_tin
        or after_label(lines, recipient_label, "tin")
        or (tins[1] if len(tins) > 1 else None),
        "tax_year": _year(text),
    }


def _1099_int(text: str) -> dict[str, Any]:
    lines = lines_of(text)
    return {
        **_parties(lines, text),
        "box_1": after_label(lines, r"\b\w?interest\s+income\b", "money"),
        "box_2": after_label(lines, r"early\s+withdrawal\s+penalty", "money"),
        "box_3": after_label(lines, r"savings\s+bonds(\s+and\s+treas\w*\s+obligations)?", "money"),
        "box_4": after_label(lines, r"federal\s+income\s+tax\s+withheld", "money"),
    }


def _1099_nec(text: str) -> dict[str, Any]:
    lines = lines_of(text)
    return {
        **_parties(lines, text),
        "box_1": after_label(lines, r"nonemployee\s+compensation", "money"),
        "box_4": after_label(lines, r"federal\s+income\s+tax\s+withheld", "money"),
    }


def _ssn_card(text: str) -> dict[str, Any]:
    lines = lines_of(text)
    return {
        "ssn": rules.ssn(text),
        "name": after_label(lines, r"established\s+for", "text", lookahead=3),
    }


def _driver_license(text: str) -> dict[str, Any]:
    lines = lines_of(text)
    number = re.search(r"\b(?:DL|LIC(?:ENSE)?\s*(?:NO|#|NUMBER)?)\s*[:#.]?\s*([A-Z0-9][A-Z0-9-]{4,14})\b", text)
    family = after_label(lines, r"^1\s*(?=[A-Z])|last\s+name|family\s+name", "text", lookahead=1)
    given = after_label(lines, r"^2\s*(?=[A-Z])|first\s+name|given\s+name", "text", lookahead=1)
    if given and not family:  # field 1's number lost: the family name is the bare line above field 2
        above = next((lines[i - 1] for i, line in enumerate(lines) if i and re.match(r"^2\s*[A-Z]", line)), "")
        family = above if re.fullmatch(r"[A-Z][A-Z' -]{1,30}", above) else None
    full_name = " ".join(part for part in (given, family) if part) or after_label(lines, r"\bname\b", "text")
    return {
        "license_number": number.group(1) if number else None,
        "name": full_name or None,
        "date_of_birth": after_label(lines, r"\bdob\b|date\s+of\s+birth", "date", lookahead=1),
        "expiration_date": after_label(lines, r"\bexp\b|expires", "date", lookahead=1),
        "state": rules.state_from_text(text),
    }


def _year(text: str) -> str | None:
    year = rules.tax_year(text)
    return str(year) if year else None


FINDERS: dict[DocType, Finder] = {
    DocType.W2: _w2,
    DocType.FORM_1099_INT: _1099_int,
    DocType.FORM_1099_NEC: _1099_nec,
    DocType.SSN_CARD: _ssn_card,
    DocType.DRIVER_LICENSE: _driver_license,
}

# The field naming who issued the paper (employer, payer, lender, bank): the classification's source.
SOURCE_FIELD = {s.doc_type: s.source_field for s in REGISTRY if s.source_field}


def label_pattern(label: str) -> str:
    """A box label as printed ("1a Total ordinary dividends") as a tolerant pattern: its first words,
    any spacing, the box number optional (OCR often loses it)."""
    words = re.findall(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?", label)
    if words and re.fullmatch(r"\d+[a-z]?|[A-Z]", words[0]) and len(words) > 1:
        words = words[1:]
    # OCR often glues the box number to the first word ("1Interest", "Tinterest"): one stray character is let in.
    return r"\b\w?" + r"[\s\W]+".join(re.escape(w).replace("'", "['’]?") for w in words[:4])


def _from_labels(doc_type: DocType, text: str) -> dict[str, Any]:
    """Every schema field found after its own label: how the forms without a finder of their own are read."""
    schema = schema_for(doc_type)
    assert schema is not None
    lines = lines_of(text)
    found = {f.name: after_label(lines, label_pattern(f.label), f.kind) for f in schema.fields if f.kind != "year"}
    found["tax_year"] = _year(text) if "tax_year" in schema.field_names else None
    _tins_by_position(schema.fields, found, text)
    return found


_ISSUER = ("payer", "lender", "school", "partnership")


def _tins_by_position(specs: Any, found: dict[str, Any], text: str) -> None:
    """When a TIN's label was misread, issuers (payer, lender, school) usually print an EIN and people an
    SSN: fill the gaps with the first unused number of that shape."""
    used = {v for v in found.values() if v}
    eins = [rules.ein(m.group(0)) for m in rules.EIN.finditer(text)]
    ssns = [rules.ssn(m.group(0)) for m in rules.SSN.finditer(text)]
    for spec in specs:
        if spec.kind not in ("tin", "ein", "ssn") or found.get(spec.name):
            continue
        issuer = spec.kind == "ein" or (spec.kind == "tin" and spec.name.startswith(_ISSUER))
        candidate = next((v for v in (eins if issuer else ssns) if v and v not in used), None)
        if candidate:
            found[spec.name] = candidate
            used.add(candidate)


# A value read from the text lines only (no cell around it): the next line after a label may belong to a
# neighbouring box. Its field's confidence stays under the trusted line unless a form rule vouches for it.
TEXT_READING = 0.6


def _from_text(doc_type: DocType, text: str) -> dict[str, Any]:
    """A type's own finder; the fields it does not know (a field added to the schema) after their labels."""
    finder = FINDERS.get(doc_type)
    if finder is None:
        return _from_labels(doc_type, text) if schema_for(doc_type) else {}
    found = finder(text)
    missing = [f for f in schema_for(doc_type).field_names if f not in found]  # type: ignore[union-attr]
    if missing:
        generic = _from_labels(doc_type, text)
        found.update({name: generic.get(name) for name in missing})
    return found


def read_fields(
    doc_type: DocType, page: PageText | str, reread: layout.Reread | None = None
) -> tuple[dict[str, Any], dict[str, float]]:
    """The page's fields and how cleanly each was read (see engines.base.PageFields.readings);
    `reread` reads one region of the page again (layout.read_page)."""
    if isinstance(page, str):
        page = PageText(page)
    by_text = {k: v for k, v in _from_text(doc_type, page.text).items() if v not in (None, "")}
    by_cell = layout.read_page(doc_type, page, reread)
    # A number read from the text lines that its own cell holds for another field is that field's (the
    # line after "PAYER'S TIN" may be the recipient's SSN, printed beside it): missing beats wrong.
    kinds = {f.name: f.kind for f in schema.fields} if (schema := schema_for(doc_type)) else {}
    in_cells = {(r.value, kinds.get(n)) for n, r in by_cell.items() if kinds.get(n) in _IDENTIFIERS}
    for name in [n for n, v in by_text.items() if n not in by_cell and (v, kinds.get(n)) in in_cells]:
        del by_text[name]
    found, readings = dict(by_text), dict.fromkeys(by_text, TEXT_READING)
    for name, reading in by_cell.items():  # the cell wins (the text lines read the same OCR words: no vote)
        found[name], readings[name] = reading.value, reading.score
    return found, readings


_IDENTIFIERS = frozenset({"tin", "ein", "ssn"})


def find_fields(doc_type: DocType, page: PageText | str) -> dict[str, Any]:
    return read_fields(doc_type, page)[0]


def reachable(doc_type: DocType) -> set[str]:
    """The schema fields some reader of the offline engine looks for: the cell reader's label patterns,
    the title's tax year, and the text finders (a type's own, else every field after its label)."""
    schema = schema_for(doc_type)
    if schema is None:
        return set()
    by_layout = set(layout.patterns_for(doc_type)) | ({"tax_year"} if "tax_year" in schema.field_names else set())
    by_text = set(FINDERS[doc_type]("")) if doc_type in FINDERS else set()
    by_labels = {f.name for f in schema.fields if label_pattern(f.label)}
    return (by_layout | by_text | by_labels) & set(schema.field_names)


def can_find(doc_type: DocType) -> bool:
    return doc_type in FINDERS or schema_for(doc_type) is not None
