"""Masking of SSNs, TINs/EINs, account and license numbers before anything reaches logs or Dagster metadata.

`mask_text` masks personal identifiers only, so that error text stays readable. The rule:

1. A candidate is a whole token. A number glued to letters or digits (an upload id such as
   `01a2b3c47079deadbeef`, a hash, `v2024`) is never a candidate, nor is a number inside an amount or a
   version (`52,340.17`, `1.123-45-6789`), inside a longer dashed number (`1-123-45-6789`, `123-45-6789-01`)
   or followed by a unit (`144000000 pixels`, `10485760 bytes`, `12 pages`). `_` separates words and a
   letter prefix with a dash is allowed (`scan_123-45-6789.png`, `id-123-45-6789` are candidates).
2. Without context only the printed shapes of US tax identifiers are masked, and only valid ones:
   - `ddd-dd-dddd` (dashes or single spaces): an SSN that `stdnum.us.ssn` accepts (area not 000, 666
     or 9xx, group not 00, serial not 0000, not one of its three publicly known numbers), or an ITIN
     (area 9xx, group 50-65 or one `stdnum.us.itin` accepts: 70-88, 90-92, 94-99). `000-12-3456` or
     `123-00-4567` stay readable.
   - `dd-ddddddd`: an EIN whose prefix `stdnum.us.ein` knows (`07-1234567` stays readable).
   Nine bare digits and other digit runs are never masked without context.
3. With context a value is masked whatever its validity (a mistyped SSN is still mostly an SSN). The
   context is a label word right before the value, separated by at most a few separators
   (`: = # " ' ( ) [ ] * . , _ -`, spaces) and filler words (`number`, `no`, `num`, `nr`, `is`, `was`,
   `of`, `id`, `value`, `for`), or glued to it (`SSN123456789`). Labels are case-insensitive whole
   words; `_` separates words, so `"employee_ssn": "123456789"` is labelled. A label covers a list:
   `SSNs 123456789, 987654321 and 111223333` masks all three.
   - SSN/TIN labels (`ssn`, `social security`, `social`, `soc sec`, `tin`, `itin`, `taxpayer`, `tax id`,
     `identification`) and EIN labels (`ein`, `fein`, `employer identification`, `employer id`):
     9 digits, bare or as `ddd-dd-dddd` / `dd-ddddddd`.
   - account labels (`account`, `acct`, `acc`, `a/c`, `routing`): 8 to 17 digits, bare, in groups of
     four separated by spaces, or in dashed groups.
   - license labels (`license`, `licence`, `driver's license`, `DL`): an upper-case token of 5 to 20
     letters, digits and dashes holding at least 4 digits (`D1234567`).
4. Everything else stays as it is: ids, hashes, timestamps (`1712345678`, `20240115`,
   `2024-01-15T10:30:45`), pixel counts, byte sizes, counts, phone numbers, ZIP codes and amounts.

Masked values keep their last four digits: `***-**-6789` (SSN/ITIN), `**-***6789` (EIN), `***6789`
(account, license). Masking is idempotent. `mask_fields` masks by field name (a `ssn`, `tin`, `itin`,
`ein`, `fein`, `acct` or `license_number` word, or a word starting with `account` or `routing`, in
snake_case or camelCase) whatever the value looks like, and scans every other string with `mask_text`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from stdnum.us import ein as _stdnum_ein
from stdnum.us import itin as _stdnum_itin
from stdnum.us import ssn as _stdnum_ssn

# A candidate is a whole token: not glued to a letter or digit (`_` separates words, `-` may follow a
# letter prefix), not the tail of an amount or version (`1.123-45-6789`), not in a longer dashed number.
_START = r"(?<![A-Za-z0-9])(?<!\d[.,])(?<!\d-)"
_UNITS = r"pixels?|px|bytes?|[kmg]i?b|ms|secs?|seconds?|pages?|rows?|files?|items?|records?|times|chars?|characters"
# ... and not a quantity: a number followed by a unit (`144000000 pixels`) is a count, not an identifier.
_END = rf"(?![A-Za-z0-9])(?![.,]\d)(?!-\d)(?!\s*(?i:{_UNITS})(?![A-Za-z]))"

_SSN_SHAPE = re.compile(_START + r"\d{3}[- ]\d{2}[- ]\d{4}" + _END)
_EIN_SHAPE = re.compile(_START + r"\d{2}-\d{7}" + _END)

_LABEL = {
    "employer": r"feins?|eins?|employer(?:'?s)?[\s_-]+(?:identification|id)",
    "person": r"ssns?|social[\s_-]+security|social|soc\.?[\s_-]*sec\.?|itins?|tins?"
    r"|taxpayer(?:'?s)?|tax[\s_-]*ids?|tax[\s_-]+identification|identification",
    "account": r"accounts?|acct|acc|a/c|routing",
    "license": r"driver'?s?[\s_-]+licen[cs]es?|licen[cs]es?|dl",
}
_FILLER = r"numbers?|num|nos?|nr|is|was|of|ids?|value|for"
# Between a label and its value: separators and filler words, a few of them.
_GAP = rf"(?:[\s:=#\"'()\[\]{{}}*.,_-]|(?<![A-Za-z])(?i:{_FILLER})(?![A-Za-z])){{0,12}}"
_NINE = r"\d{3}[- ]?\d{2}[- ]?\d{4}|\d{2}-\d{7}"
_VALUE = {
    "employer": _NINE,
    "person": _NINE,
    # bare, printed in groups of four, or dashed groups; 8-17 digits in all (checked when masking)
    "account": r"\d{8,17}|\d{4}(?: \d{4}){1,3}(?: \d{1,4})?|\d{2,8}(?:-\d{2,8}){1,4}",
    "license": r"(?=(?:[A-Z-]*\d){4})[A-Z0-9][A-Z0-9-]{3,18}[A-Z0-9]",
}
_LIST_SEP = r"\s*[,;/&]\s*|\s+(?i:and|or)\s+"
# After a label the value may follow it directly (`SSN123456789`, `acct#12345678`).
_ONE_VALUE = {kind: re.compile(r"(?<!\d)(?<!\d[.,])" + rf"(?:{pattern})" + _END) for kind, pattern in _VALUE.items()}
_LABELLED = {
    kind: re.compile(
        rf"(?<![A-Za-z0-9])(?i:{label})(?![A-Za-z]){_GAP}"
        rf"(?P<values>{_ONE_VALUE[kind].pattern}(?:(?:{_LIST_SEP}){_ONE_VALUE[kind].pattern})*)"
    )
    for kind, label in _LABEL.items()
}
_ITIN_EXTRA_GROUPS = range(50, 66)  # issued since 2011; python-stdnum only knows 70-99

_SENSITIVE_NAME = re.compile(r"(?:^|_)(?:(?:ssn|tin|itin|ein|fein|acct|licen[cs]e_number)(?![a-z])|account|routing)")


def last4(digits: str) -> str:
    only = re.sub(r"\D", "", digits)
    return only[-4:]


def mask_value(value: str) -> str:
    tail = last4(value)
    return f"***{tail}" if tail else "***"


def is_individual_tin(digits: str) -> bool:
    """An SSN or ITIN by its number ranges (9 digits, separators ignored)."""
    digits = re.sub(r"[- ]", "", digits)
    if len(digits) != 9 or not digits.isdigit():
        return False
    if _stdnum_ssn.is_valid(digits) or _stdnum_itin.is_valid(digits):
        return True
    return digits[0] == "9" and int(digits[3:5]) in _ITIN_EXTRA_GROUPS


def is_ein(digits: str) -> bool:
    return _stdnum_ein.is_valid(re.sub(r"-", "", digits))


def _ssn_mask(raw: str) -> str:
    return f"***-**-{last4(raw)}"


def _ein_mask(raw: str) -> str:
    return f"**-***{last4(raw)}"


def _mask_one(kind: str, raw: str) -> str:
    if kind == "employer" or (kind == "person" and re.fullmatch(r"\d{2}-\d{7}", raw)):
        return _ein_mask(raw)
    if kind == "person":
        return _ssn_mask(raw)
    if kind == "account" and not 8 <= len(re.sub(r"\D", "", raw)) <= 17:
        return raw
    return mask_value(raw)


def _mask_labelled(kind: str, text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        head = match.group(0)[: match.start("values") - match.start()]
        return head + _ONE_VALUE[kind].sub(lambda v: _mask_one(kind, v.group(0)), match.group("values"))

    return _LABELLED[kind].sub(replace, text)


def mask_text(text: str) -> str:
    """Masks SSNs, ITINs, EINs, account and license numbers (the rule is in the module docstring),
    keeping the last four digits; ids, timestamps, sizes, counts and amounts stay readable."""
    if not text:
        return text
    for kind in ("employer", "person", "account", "license"):
        text = _mask_labelled(kind, text)
    text = _SSN_SHAPE.sub(lambda m: _ssn_mask(m.group(0)) if is_individual_tin(m.group(0)) else m.group(0), text)
    return _EIN_SHAPE.sub(lambda m: _ein_mask(m.group(0)) if is_ein(m.group(0)) else m.group(0), text)


def _is_sensitive_name(name: str) -> bool:
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    snake = re.sub(r"[^a-z0-9]+", "_", snake)
    return bool(_SENSITIVE_NAME.search(snake))


def mask_fields(fields: Mapping[str, object]) -> dict[str, object]:
    """A copy of extracted fields safe to show: identifiers masked by name, other text scanned."""
    masked: dict[str, object] = {}
    for name, value in fields.items():
        if isinstance(value, str):
            masked[name] = mask_value(value) if _is_sensitive_name(str(name)) else mask_text(value)
        elif isinstance(value, Mapping):
            masked[name] = mask_fields(value)
        else:
            masked[name] = value
    return masked
