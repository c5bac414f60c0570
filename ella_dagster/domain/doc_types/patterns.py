"""Patterns printed on many document types (states, MRZ lines, card dates, OMB numbers), shared by the
types' evidence. Case-insensitive unless a pattern says `(?-i:...)`."""

from __future__ import annotations

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


NOT_INCOME_FORMS = (
    r"request\s+for\s+taxpayer",  # W-9
    r"individual\s+income\s+tax\s+return",  # 1040
    r"net\s+pay",
    r"pay\s*stub|earnings\s+statement|pay\s+period",
    r"\bdear\b|sincerely|this\s+letter",  # a letter about the form, not the form
)


def omb(number: str) -> str:
    """The form's OMB number as printed in its title block ("OMB No. 1545-0008"): each IRS form has its own."""
    return rf"1[56]4[5S]\W?{number}\b"  # OCR reads a blurred 5 as 6 or S: the number after it is the form's


# "1099" as a form's name, not digits inside an EIN or an account number ("09-1099887").
FORM_1099_NAME = r"(?<![\d-])1099(?!\d)"
