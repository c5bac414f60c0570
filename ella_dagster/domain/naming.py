"""The rename convention: `cases/{case}/docs/{TaxYear}_{DocType}_{Source}_{ClientName}.{ext}`."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from ella_dagster.domain.doc_types import DocType, short_code

NAMING_VERSION = "1"  # bump when the convention below changes: every renamed_key becomes stale
MAX_NAME_LENGTH = 60  # the whole file name, extension included
SOURCE_MAX = 20
CLIENT_MAX = 20
DEFAULT_EXTENSION = "pdf"

# Letters NFKD does not decompose into ASCII.
_SPECIAL_LETTERS = str.maketrans({"đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE"})
CASE_ID_MAX = 64
_CASE_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{CASE_ID_MAX}}}")


def remove_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def to_pascal_case(text: str) -> str:
    """ "google llc" -> "GoogleLlc"; digits stay as they are ("1099 int" -> "1099Int")."""
    words = re.split(r"[^A-Za-z0-9]+", remove_diacritics(text))
    return "".join(word[:1].upper() + word[1:].lower() for word in words if word)


def sanitize_component(text: str | None, max_length: int) -> str:
    return to_pascal_case(text or "")[:max_length]


@dataclass(frozen=True)
class NamingComponents:
    doc_type: DocType | str
    tax_year: int | None
    source: str | None
    client_name: str | None


def document_name(parts: NamingComponents, extension: str, *, today: dt.date | None = None) -> str:
    """File name for a classified document; empty parts are left out, the whole name is <= 60 chars."""
    year = str(parts.tax_year or (today or dt.date.today()).year)
    ext = sanitize_extension(extension)
    components = [
        year,
        sanitize_component(short_code(parts.doc_type), 20),
        sanitize_component(parts.source, SOURCE_MAX),
        sanitize_component(parts.client_name, CLIENT_MAX),
    ]
    stem = "_".join(c for c in components if c)
    return f"{stem[: MAX_NAME_LENGTH - len(ext) - 1].rstrip('_')}.{ext}"


def sanitize_extension(extension: str | None) -> str:
    ext = re.sub(r"[^a-z0-9]", "", (extension or "").lower())
    return ext[:5] or DEFAULT_EXTENSION


def extension_of(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    return sanitize_extension(name.rsplit(".", 1)[1]) if "." in name else DEFAULT_EXTENSION


def raw_key(case_id: str, upload_id: str, extension: str) -> str:
    return f"cases/{checked_case_id(case_id)}/raw/{upload_id}.{sanitize_extension(extension)}"


def renamed_key(case_id: str, original_key: str, parts: NamingComponents, *, today: dt.date | None = None) -> str:
    name = document_name(parts, extension_of(original_key), today=today)
    return f"cases/{checked_case_id(case_id)}/docs/{name}"


class InvalidCaseId(ValueError):
    """A case id that cannot name a folder; the message is one line, fit to show as it is."""


def checked_case_id(case_id: str) -> str:
    """Case ids become key prefixes: refuse anything that could escape its folder."""
    if not isinstance(case_id, str) or not _CASE_ID.fullmatch(case_id):
        shown = repr(case_id[:40] + "..." if isinstance(case_id, str) and len(case_id) > 40 else case_id)
        raise InvalidCaseId(
            f"invalid case id {shown}: use 1 to {CASE_ID_MAX} letters, digits, '_' or '-' (no spaces, dots or slashes)"
        )
    return case_id


def display_name_from_key(key: str) -> str:
    return key.rsplit("/", 1)[-1]
