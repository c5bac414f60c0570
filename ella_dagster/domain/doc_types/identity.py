"""Identity papers: SSN cards, driver licenses, passports, birth certificates. None has a tax year."""

from __future__ import annotations

from ella_dagster.domain.doc_types import patterns as p
from ella_dagster.domain.doc_types.names import Category, DocType
from ella_dagster.domain.doc_types.spec import DocTypeSpec, DocumentSchema, Signature, f

SSN_CARD = DocTypeSpec(
    DocType.SSN_CARD,
    Category.IDENTITY,
    "Social Security card issued by the SSA",
    Signature(
        DocType.SSN_CARD,
        titles=(r"s[o0]c[i1l]a[l1]\s*secur", p.SSN_CARD_ESTABLISHED),
        labels=(
            p.SSN_NUMBER,
            r"signature",
            r"this\s+number\s+has\s+been|has\s+been\s+establ",
            r"administration|united\s+states\s+of\s+america",
        ),
        negatives=(
            r"wages",
            p.FORM_1099_NAME,
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
    DocumentSchema(
        DocType.SSN_CARD,
        (f("ssn", "ssn", "Social security number", key=True), f("name", "text", "Name", key=True)),
        identity=("ssn", "name"),
    ),
    has_tax_year=False,
    spellings=("SSN",),
)

DRIVER_LICENSE = DocTypeSpec(
    DocType.DRIVER_LICENSE,
    Category.IDENTITY,
    "US driver license or state ID card",
    Signature(
        DocType.DRIVER_LICENSE,
        titles=(
            # "DRIVER'S" above "LICENSE" on a card: specks of the picture may be read between the lines
            r"[il1]\s?ver\W{0,3}s?(?:\W{0,3}\s*|\W*\n[^\n]{0,12}?)licen|\bdrivers?\s+lic\b|identification\s+card|"
            r"commercial\s+driver",
            # "DL" glued to the number it labels ("DLF1476760") is as much a licence anchor as "DL" alone.
            r"\bdl\b|\bdl\s?[a-z]?\d{5,}|\bdln\b|\b[lu]ic\s?(?:#|no\b)|licen[sc]e\s+(?:no|number|#)",
        ),
        labels=(
            p.DATE_OF_BIRTH,
            p.EXPIRES,
            r"\bclass\s*[:.]?\s*[a-dm]?\b",  # OCR glues the class letter on: "CLASSC"
            p.ISSUED,
            r"\bsex\s*[:.]?\s*[mfx]?\b",
            r"\bhgt\b|\bhgt\s*\d|height",
            r"\be[yv]es\b",  # "eves"
            r"\bdd\b|restr|endorse|\bend\s*[:.]?\s*none|\bnone\W{1,3}none\b",
            r"\bwgt\b|weight|\bhair\b",
            r"donor|veteran|real\s+id|federal\s+limits",
            p.AAMVA_NUMBERED_FIELD,
            p.US_STATE,
        ),
        negatives=(r"wages", p.FORM_1099_NAME, r"withheld", r"passport", r"business\s+licen", r"\bdear\b|sincerely"),
        enough=6,
    ),
    DocumentSchema(
        DocType.DRIVER_LICENSE,
        (
            f("license_number", "code", "DL number", key=True),
            f("name", "text", "Name", key=True),
            f("date_of_birth", "date", "DOB", key=True),
            f("expiration_date", "date", "EXP"),
            f("state", "state", "Issuing state"),
        ),
        identity=("license_number", "date_of_birth"),
    ),
    has_tax_year=False,
    spellings=("DL",),
)

PASSPORT = DocTypeSpec(
    DocType.PASSPORT,
    Category.IDENTITY,
    "passport (any country)",
    Signature(
        DocType.PASSPORT,
        titles=(
            # the word, in the languages passports print it in, as OCR reads it
            r"\bpas{1,2}[ae]?port[eo]?\b|\bpaspoort\b|\bpassaporto\b|\breisepass\b",
            r"united\s+states\s+of\s+america|nationality|nationalit[eé]",
            rf"{p.MRZ_NAMES_LINE}|{p.MRZ_TD3_LINE}",
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
            p.MRZ_NUMBERS_LINE,
            p.MRZ_FILLER,
        ),
        negatives=(
            r"driver",
            r"social\s+security\s+number",
            r"\bdear\b|sincerely",  # a letter that mentions a passport
            rf"\A(?![\s\S]*passport\s+card)[\s\S]*?{p.MRZ_ID_CARD_LINE}",
            r"identidad|identity\s+card|national\s+id",
        ),
        enough=4,
    ),
    has_tax_year=False,
)

BIRTH_CERTIFICATE = DocTypeSpec(
    DocType.BIRTH_CERTIFICATE,
    Category.IDENTITY,
    "birth certificate",
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
    has_tax_year=False,
)
