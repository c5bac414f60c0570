"""Fields read by page geometry: each printed box label found among Tesseract's word boxes, its value
read from the label's own cell.

A form is a grid of ruled cells, each headed by its label ("1 Wages, tips, other compensation"). The
cell of a label starts at the label and ends where the next label starts: to the right, the nearest
label on the same row; below, the nearest label whose text overlaps the cell's columns. The value is
what is printed inside that cell, below or right of its label: an amount is the money token of the
first value row (never digits of another cell, which lie beyond the border), a name the first line
of the name block (a label's own continuation lines, lower case, skipped). Several copies on one sheet
(Copy B over Copy C, 2-up) are read once: the topmost, leftmost label with a value wins.

Each value comes with a reading score in [0, 1] (1: a clean token alone in its cell near its label);
a token that runs across the cell border, carries stray characters, is one of several candidates or
lies far from its label scores lower. domain/field_confidence.py turns the score into the field's
confidence together with the value's validators and the form's invariants.
"""

from __future__ import annotations

import functools
import itertools
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from ella_dagster.domain.doc_types import PAYER_FORMS, DocType
from ella_dagster.domain.extraction import schema_for
from ella_dagster.engines import rules
from ella_dagster.engines.ocr import PageText, Word

PHRASE_GAP = 1.2  # words further apart than this many text heights belong to different phrases
CELL_DEPTH = 10.0  # a cell with no label below it ends this many label heights under its label
FAR = 6.0  # a value further below its label than this many label heights is doubtful
# Where a box's first value line sits, in label heights under the label, at most (real IRS forms, scans
# and photos: names <= 2.1, amounts <= 3.9, TINs <= 3.5); deeper, it may be the next box's value whose
# label was not read (1099-INT box 2's amount read for box 1).
USUAL_DEPTH = {"text": 3.0, "*": 4.2}
SPECK = 0.3  # a word under this share of the page's median word height is a speck
TITLE_SIZE = 1.6  # a match printed this many times larger than the box labels is a title
UNSURE_OCR = 60.0  # a value word Tesseract is less sure of than this is unsure (a misread digit)...
DOUBTFUL_OCR = 80.0  # ... and under this not to be trusted (clean values read at 87-96 on photos)


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def cx(self) -> float:
        return (self.left + self.right) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


def _box(words: Iterable[Word]) -> Box:
    ws = list(words)
    return Box(
        min(w.left for w in ws),
        min(w.top for w in ws),
        max(w.left + w.width for w in ws),
        max(w.top + w.height for w in ws),
    )


def _box_union(a: Box, b: Box) -> Box:
    return Box(min(a.left, b.left), min(a.top, b.top), max(a.right, b.right), max(a.bottom, b.bottom))


@dataclass(frozen=True)
class Phrase:
    """Words on one line with no wider gap than PHRASE_GAP text heights between them."""

    words: tuple[Word, ...]

    @functools.cached_property
    def box(self) -> Box:  # asked for ~10^5 times per page by the cell searches
        return _box(self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(frozen=True)
class Reading:
    value: str
    score: float  # 1.0: a clean token alone in its cell, near its label
    why: str = ""  # what lowered the score (reasons only, never values)
    at: Box | None = None  # where the value was read


def _norm(text: str) -> str:
    text = re.sub(r"'+", "'", text.replace("’", "'").replace("‘", "'").replace("`", "'"))  # "RECIPIENT'’S"
    return re.sub(r"\s+", " ", text).strip().lower()


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def phrases(words: Sequence[Word]) -> list[Phrase]:
    """Words grouped into phrases: same line (vertical overlap), small horizontal gaps."""
    groups: list[list[Word]] = []
    ends: list[int] = []  # each group's right end
    # The group's print size is its tallest word's (the first of them): a speck read after "Patricia"
    # ("." or a tiny "8") is no measure of it.
    tallest: list[Word] = []
    typical = statistics.median(w.height for w in words) if words else 0
    # No word joins a group whose right end lies further left than this (gap <= PHRASE_GAP * h, h <= twice
    # the word's height): words come left to right, so such a group is closed for good.
    reach = PHRASE_GAP * max([3, *(2 * w.height for w in words)])
    open_: list[int] = []
    for word in sorted(words, key=lambda w: (w.left, w.top)):
        if not word.text.strip() or word.height < SPECK * typical:
            continue  # a speck 3 px tall ("Ce" between "PAYER'S federal" and "identification") is no word
        best = None
        open_ = [number for number in open_ if word.left - ends[number] <= reach]
        for number in open_:
            last = tallest[number]
            h = max(3, min(max(last.height, word.height), 2 * min(last.height, word.height)))
            # From the group's right end: a speck read inside a word ("RECIPIENT'S" over a ".") is no end.
            gap = word.left - ends[number]
            if not -max(h, last.width) <= gap <= PHRASE_GAP * h:
                continue
            shared = _overlap(last.top, last.top + last.height, word.top, word.top + word.height)
            if shared >= 0.5 * min(last.height, word.height) and (best is None or gap < best[0]):
                best = (gap, number)
        if best:
            groups[best[1]].append(word)
            ends[best[1]] = max(ends[best[1]], word.left + word.width)
            if word.height > tallest[best[1]].height:
                tallest[best[1]] = word
        else:
            open_.append(len(groups))
            groups.append([word])
            ends.append(word.left + word.width)
            tallest.append(word)
    return sorted((Phrase(tuple(g)) for g in groups), key=lambda p: (p.box.top, p.box.left))


# ---- labels ------------------------------------------------------------------------------------

_BOX_ID = re.compile(r"^(\d{1,2}[a-z]?|[a-f])$")
_DIGIT_LOOKALIKES = str.maketrans({"s": "5", "l": "1", "i": "1", "o": "0"})
# Words of printed labels, for telling a label (a cell border) from a value.
_LABEL_VOCABULARY = frozenset(
    re.findall(
        r"\S+",
        """a an and of or the for to in on see no no. box copy form omb number name address code zip
    employer employer's employee employee's first initial last suff suff. control wages tips other
    compensation federal state local locality income tax withheld social security medicare allocated
    dependent care benefits nonqualified plans statutory retirement plan third-party sick pay id
    identification ein payer payer's recipient recipient's tin street city town province country foreign
    postal telephone account instructions fatca filing requirement interest penalty early withdrawal
    savings bonds treasury obligations investment expenses paid possession tax-exempt specified private
    activity bond market discount premium cusip dividends qualified distributions gross taxable
    distribution rents royalties nonemployee unemployment refunds credits offsets partnership partner's
    ordinary business net rental real estate marketplace policy corrected void checked optional rtn
    apt. (including no.) identification no. (ein) (optional) ira/sep/simple filer filer's payee payee's
    amount payment payments partner partner's partnership partnership's identifying january february march
    april may june july august september october november december""",
    )
)


@functools.lru_cache(maxsize=4096)
def _fuzzy(token: str) -> str:
    """A garbled label word as the label word it is closest to ("narne" -> "name", "secunty" -> "security"):
    one edit allowed in words of 4-5 letters, two in longer ones; other words as they are."""
    core = token.strip(",.:;()")
    parts = core.split("-")
    if len(parts) > 1 and all(part.isalpha() for part in parts):  # "markotplace-sssigned"
        return token.replace(core, "-".join(_fuzzy(part) for part in parts))
    if core.endswith("'s") and core[:-2].isalpha() and core not in _LABEL_VOCABULARY:  # "reopient's"
        base = _fuzzy(core[:-2])
        return token.replace(core, base + "'s") if base != core[:-2] else token
    if len(core) < 4 or core in _LABEL_VOCABULARY or core in _SCHEMA_WORDS or not core.isalpha():
        return token
    if core.replace("rn", "m") in _LABEL_VOCABULARY:  # "narne"
        return token.replace(core, core.replace("rn", "m"))
    allowed = 1 if len(core) <= 5 else 2
    best = min(_ALPHA_VOCABULARY, key=lambda v: Levenshtein.distance(core, v, score_cutoff=allowed + 1))
    return token.replace(core, best) if Levenshtein.distance(core, best) <= allowed else token


def _is_label_like(phrase: Phrase) -> bool:
    if _letter_spaced(phrase.text):  # a large value read letter by letter ("D U C K"), not "d Employee's"
        return False
    words = [_fuzzy(_norm(w.text)).strip(",.:;()") for w in phrase.words]
    alpha = [w for w in words if re.search(r"[a-z]", w)]
    if len(words) >= 2 and _BOX_ID.match(words[0]) and re.match(r"[A-Za-z]", phrase.words[1].text):
        return not rules.MONEY.search(phrase.text)
    # A box number with a digit misread as a letter ("Sa January": 5a) before a label word.
    if len(words) >= 2 and _BOX_ID.match(words[0].translate(_DIGIT_LOOKALIKES)) and words[1] in _LABEL_VOCABULARY:
        return not rules.MONEY.search(phrase.text)
    if len(alpha) < 2:
        return False
    known = sum(w in _LABEL_VOCABULARY or w.rstrip("'s") in _LABEL_VOCABULARY for w in alpha)
    return known >= max(2, 0.6 * len(alpha)) and not rules.MONEY.search(phrase.text)


def _schema_words() -> frozenset[str]:
    """Every word of every schema's labels: printed label words that must never be fuzzed into another."""
    words = set()
    for doc_type in DocType:
        schema = schema_for(doc_type)
        for spec in schema.fields if schema else ():
            words |= {w.lower() for w in re.findall(r"[A-Za-z]{3,}", spec.label)}
    return frozenset(words)


# Kept as they are and aimed at by the fuzzy match, but not evidence of a label (values share them).
_SCHEMA_WORDS = _schema_words()
_ALPHA_VOCABULARY = tuple(sorted(w for w in _LABEL_VOCABULARY | _SCHEMA_WORDS if w.isalpha() and len(w) >= 3))


def label_regex(label: str) -> str:
    """A schema label ("1a Total ordinary dividends") as a pattern over normalised phrase text: its first
    words in order, the box number dropped (OCR loses or glues it), or the box number and the words after
    the first."""
    words = re.findall(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?", label)
    number = None
    if len(words) > 1 and re.fullmatch(r"\d+[a-z]?|[A-Z]", words[0]):
        number, words = words[0], words[1:]

    def joined(part: list[str]) -> str:
        return r"[\s\W]+".join(re.escape(w.lower()).replace("'", "'?") for w in part)

    pattern = joined(words[:4])
    if number and number[0].isdigit() and len(words) >= 2 and len(words[0]) >= 5:
        # Its first word garbled past repair ("4 Recgrent's name"): the box number and the words after it.
        pattern += rf"|^{number.lower()}[\s\W]+\S+[\s\W]+{joined(words[1:4])}\b"
    return pattern


# Labels as printed on the real forms, where the schema's own label is not the printed one.
W2_LABELS = {
    "employee_ssn": r"employee'?s? social security (number|no)",
    "employer_ein": r"employer identification number|employer'?s? (fed|federal) id",
    "employer_name": r"employer'?s? name",
    "employee_name": r"employee'?s? (first )?name",
    "wages": r"wages,? tips,? other comp",
    "federal_tax_withheld": r"federal income tax withheld",
    "social_security_wages": r"social security wages",
    "social_security_tax": r"social security tax withheld",
    "medicare_wages": r"medicare wages",
    "medicare_tax": r"medicare tax withheld",
    "state": r"^(15 )?state$|^\W*15 state\b",
    "state_wages": r"state wages",
    "state_tax": r"state income tax",
}
# The 1099-K (and other filer-issued forms) print FILER for the payer and PAYEE for the recipient.
_PARTY_LABELS = {
    "payer_name": r"(payer|filer)'?s? name",
    "payer_tin": r"(payer|filer)'?s? (tin|federal identification)",
    "recipient_name": r"(recipient|payee)'?s? name",
    "recipient_tin": r"(recipient|payee)'?s? (tin|identification)",
}
# Schedule K-1: the partnership's and the partner's blocks share the words "name, address, city, state";
# older forms print "Partner's identifying number" for the SSN or TIN.
K1_LABELS = {
    "partnership_ein": r"partnership'?s? employer identification",
    "partnership_name": r"partnership'?s? name",
    "partner_tin": r"\bpartner'?s? (ssn or tin|identifying number|ssn|tin)\b",
    "partner_name": r"\bpartner'?s? name\b|name address city state and zip code for partner",
}
LABELS: dict[DocType, dict[str, str]] = {
    DocType.W2: W2_LABELS,
    DocType.SCHEDULE_K1: K1_LABELS,
    **{t: _PARTY_LABELS for t in PAYER_FORMS},
}
LAST_NAME = r"^last name\b"
# Printed words that are cell borders but do not look like labels on their own.
BORDERS: dict[DocType, tuple[str, ...]] = {DocType.W2: (r"^su[ft][ft]\.?$", LAST_NAME, r"^(\d+ )?locality name")}
# Fields whose cell holds more than one column: (field, second column's label).
JOINED = {(DocType.W2, "employee_name"): LAST_NAME}


# Boxed forms, each value in a labelled cell. IDs and statements are not: their text finders read them.
NOT_BOXED = frozenset({DocType.SSN_CARD, DocType.DRIVER_LICENSE, DocType.PASSPORT, DocType.BANK_STATEMENT})


def patterns_for(doc_type: DocType) -> dict[str, str]:
    """Every schema field's label pattern (the tax year has none: it is read from the title)."""
    schema = schema_for(doc_type)
    if schema is None or doc_type in NOT_BOXED:
        return {}
    own = LABELS.get(doc_type, {})
    return {f.name: own.get(f.name) or label_regex(f.label) for f in schema.fields if f.kind != "year"}


@dataclass(frozen=True)
class Label:
    name: str
    box: Box  # every line of the label, its box number included
    words: tuple[Word, ...]
    line: int = 0  # the height of one of its lines (a label printed over two lines is twice as tall)


def _matches(phrase: Phrase, pattern: re.Pattern[str]) -> tuple[Word, ...] | None:
    """The phrase's words from the match's start on (the box number before it included), or None."""
    # As printed first: a garbled word repaired only when that fails.
    found = next(((m, spans) for text, spans in _readings(phrase.words) if (m := pattern.search(text))), None)
    if found is None:
        return None
    m, spans = found
    first = next(i for i, (s, e) in enumerate(spans) if e > m.start())
    if first and _BOX_ID.match(_norm(phrase.words[first - 1].text)):
        first -= 1
    words = phrase.words[first:]
    while len(words) > 1 and not re.search(r"[A-Za-z0-9]", words[-1].text):  # a "$" of the next cell
        words = words[:-1]
    return words


@functools.lru_cache(maxsize=8192)
def _readings(words: tuple[Word, ...]) -> tuple[tuple[str, tuple[tuple[int, int], ...]], ...]:
    """A phrase's normalised text with each word's span: as printed, then with garbled words repaired."""
    out = []
    for fuzzy in (False, True):
        text, spans, at = "", [], 0
        for word in words:
            raw = _norm(word.text)
            if not re.search(r"[a-z0-9$&]", raw):  # a speck between label words ("RECIPIENT'S . name")
                spans.append((at, at))
                continue
            token = (_fuzzy(raw) if fuzzy else raw).strip(",.;:") or raw  # "Wages. tips." as "wages tips"
            spans.append((at, at + len(token)))
            text += token + " "
            at += len(token) + 1
        out.append((text.rstrip(), tuple(spans)))
    return tuple(out)


def _label_text(words: Sequence[Word]) -> str:
    return " ".join(_fuzzy(_norm(w.text)).strip(",.;:") or _norm(w.text) for w in words)


def _split(phrase: Phrase, patterns: Sequence[re.Pattern[str]]) -> list[Phrase]:
    """A phrase holding two labels printed close together ("PAYER'S TIN RECIPIENT'S TIN", "4 Federal income
    tax withheld 5 Investment expenses") as one phrase per label: cut where a label or a box number
    followed by a capitalised word starts."""
    ws = phrase.words
    cuts = set()
    for i in range(1, len(ws)):
        token = _norm(ws[i].text)
        numbered = _BOX_ID.match(token) and not re.fullmatch(r"[a-f]", token)  # "a", "b": words too
        # A box number is printed in its label's size: a speck read as "8" before a large "Garcia" is none.
        if numbered and i + 1 < len(ws) and re.match(r"[A-Z]", ws[i + 1].text) and ws[i].height * 2 >= ws[i + 1].height:
            cuts.add(i)
        elif i > 1 or not _BOX_ID.match(_norm(ws[0].text)):
            rest = _label_text(ws[i:])
            if any(p.match(rest) for p in patterns):
                cuts.add(i)
    if not cuts:
        return [phrase]
    bounds = [0, *sorted(cuts), len(ws)]
    return [Phrase(ws[a:b]) for a, b in itertools.pairwise(bounds)]


# ---- cells -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """A page's phrases, which of them are labels, and the words that are not labels (values)."""

    phrases: tuple[Phrase, ...]
    borders: tuple[Box, ...]  # every label-like phrase: where cells end
    values: tuple[Word, ...]
    right: int  # the page's text extent
    label_height: float = 0.0  # the median height of the label phrases: the print size of box labels
    below: dict[int, Phrase | None] = field(default_factory=dict, compare=False, repr=False)  # _continuation's

    @classmethod
    def of(cls, words: Sequence[Word], extra_labels: Iterable[re.Pattern[str]] = ()) -> Layout:
        extra = list(extra_labels)
        found = [part for p in phrases(words) for part in _split(p, extra)]
        labels = [p for p in found if _is_label_like(p) or any(_matches(p, x) for x in extra)]
        label_ids = {id(w) for p in labels for w in p.words}
        values = tuple(w for w in words if id(w) not in label_ids and w.text.strip())
        right = max((w.left + w.width for w in words), default=0)
        height = statistics.median(p.box.height for p in labels) if labels else 0.0
        return cls(tuple(found), tuple(p.box for p in labels), values, right, height)

    def cell(self, label: Box, line: int = 0) -> Box:
        h = max(line or label.height, 8)
        left = label.left - int(1.2 * h)

        def below(l0: float, r0: float, limit: int) -> int:
            bottom = limit
            for b in self.borders:  # the nearest label below, over the given columns
                if b.top > label.bottom + h / 3 and _overlap(b.left, b.right, l0, r0) > h / 2:
                    bottom = min(bottom, b.top - 2)
            return bottom

        # First the labels right under this one, then the nearest label to the right over that height
        # (the cell's right border), then the labels under the whole width.
        bottom = below(label.left, label.right, label.bottom + int(CELL_DEPTH * h))
        right = self.right + h
        for b in self.borders:
            if b.left >= label.right - h / 2 and _overlap(b.top, b.bottom, label.top - h / 2, bottom) > 0:
                right = min(right, b.left - 2)
        bottom = below(left + h, right - h, bottom)
        # A value right of its label may sit a little higher than the label (a table row's amounts).
        return Box(left, label.top - h, right, bottom)


def _rows(words: Iterable[Word]) -> list[list[Word]]:
    rows: list[list[Word]] = []
    for w in sorted(words, key=lambda w: w.top + w.height / 2):
        cy = w.top + w.height / 2
        if rows:
            last = rows[-1]
            lcy = statistics.fmean(x.top + x.height / 2 for x in last)
            if abs(cy - lcy) <= 0.5 * max(w.height, max(x.height for x in last)):
                last.append(w)
                continue
        rows.append([w])
    return [sorted(r, key=lambda w: w.left) for r in rows]


_NEGATIVE = re.compile(r"^\$?[-\u2212\u2010-\u2015]\$?\d|^\$?\(\$?[\d,]+[.,]\d{2}\)$")
_CLEAN_MONEY = re.compile(r"^\$?\(?-?\$?(\d{1,3}(,\d{3})+|\d+)[.,]\d{2}\)?$")
_CLEAN_TIN = re.compile(r"^\d{3}-\d{2}-\d{4}$|^\d{2}-\d{7}$")


@dataclass(frozen=True)
class _Candidate:
    value: str
    words: tuple[Word, ...]
    clean: bool


def _money_in(row: list[Word]) -> list[_Candidate]:
    """Money tokens of a row; adjacent pieces ("$", "1,", "234.56") joined first."""
    found = []
    groups: list[list[Word]] = []
    for w in row:
        if groups:
            last = groups[-1][-1]
            if w.left - (last.left + last.width) <= 0.6 * max(w.height, last.height):
                groups[-1].append(w)
                continue
        groups.append([w])
    for g in groups:
        text = "".join(w.text for w in g)
        value = rules.money(text)
        if value:
            token = text.replace(" ", "")
            if _NEGATIVE.match(token) and not value.startswith("-"):  # "-15,994.93", "(15,994.93)": a loss
                value = f"-{value}"
            found.append(_Candidate(value, tuple(g), bool(_CLEAN_MONEY.match(token))))
    return found


def _tins_in(row: list[Word], kind: str) -> list[_Candidate]:
    text = " ".join(w.text for w in row)
    parse = rules.PARSERS[kind]
    out = []
    pattern = {"ssn": rules.SSN, "ein": rules.EIN}.get(kind, rules.TIN)
    for m in pattern.finditer(text):
        value = parse(m.group(0))
        if value:
            ws = tuple(w for w in row if m.group(0).split()[0] in w.text or w.text in m.group(0))
            out.append(_Candidate(value, ws or tuple(row), any(_CLEAN_TIN.match(w.text) for w in ws)))
    return out


_FIELD_WORDS = frozenset({"name", "name(s)", "names"})
_SUB_LABEL_AFTER = re.compile(r"^M[Il1]\.?$")
# A word under this share of its row's tallest is a speck (a tiny "8" is a tenth of a name's height; a
# word's box may be three times its print when it touches a rule: "Tools" 78 px beside "Inc" 24 px).
ROW_SPECK = 0.25
COLUMN_GAP = 2.5  # words of one value further apart than this many text heights are in different columns


def _first_run(row: list[Word]) -> list[Word]:
    """A row's words up to the first wide gap: a name ends where another column's text starts (a label the
    reader did not recognise as a border, "Mary E Hoang        9c Unrecaptured section 1250 gain")."""
    tallest = max(w.height for w in row)
    h = statistics.median(w.height for w in row if w.height >= ROW_SPECK * tallest)  # specks ("." "8") aside
    for i in range(1, len(row)):
        if row[i].left - (row[i - 1].left + row[i - 1].width) > COLUMN_GAP * h:
            return row[:i]
    return row


# The last line of an address block (city, state, ZIP code): no name, whatever its cell's label says.
_CITY_LINE = re.compile(r",?\s+[A-Z]{2}\.?\s+\d{5}(-\d{4})?\s*$")


def _text_in(rows: list[list[Word]], kind: str) -> list[_Candidate]:
    """The first row that reads as a value of the kind (a label's lower-case continuation skipped)."""
    parse = rules.PARSERS[kind]
    for row in rows:
        if kind == "text":
            row = _first_run(row)
        if kind == "text" and len(row) > 2 and _norm(row[0].text) == "first" and _SUB_LABEL_AFTER.match(row[-1].text):
            row = row[1:-1]  # the 2013 W-2's sub-labels around the first name ("First Minh MI."), not the name
        if kind == "text" and len(row) > 1 and _norm(row[0].text).strip(":") in _FIELD_WORDS:
            row = row[1:]  # a sub-label printed before the value ("Name Blue River Bank")
        text = " ".join(w.text for w in row)
        if kind == "text" and (text[:1].islower() or not re.search(r"[A-Za-z]{2}", text)):
            continue
        if kind == "text" and _CITY_LINE.search(text):  # "Richmond, VA 23240": the name's lines were lost
            continue
        specks = 0
        if kind == "text":
            # A lone "." or "|" is a speck, and so is a word a fraction of the row's print (a tiny "8").
            tallest = max(w.height for w in row)
            kept = [w for w in row if re.search(r"[A-Za-z0-9&]", w.text) and w.height >= ROW_SPECK * tallest]
            specks = sum(1 for w in row[1:-1] if w not in kept and re.fullmatch(r"[|!\[\]/\\]", w.text))
            row = kept
            while len(row) > 1 and re.fullmatch(r"\d{1,2}[a-z]?", row[-1].text):  # a box number, not the name
                row = row[:-1]
            text = " ".join(w.text for w in row)
        value = parse(text)
        if value:  # a mark between a name's words may be a letter lost (an initial "I" read as "|")
            return [_Candidate(value, tuple(row), kind != "text" or (_plain_name(value) and not specks))]
    if kind == "code":  # a one- or two-character code ("7", "G", "1B": a 1099-R distribution code)
        short = [w for row in rows for w in row if _SHORT_CODE.match(w.text)]
        if short:  # too short to tell from a stray mark on its own: read, not trusted
            return [_Candidate(short[0].text, (short[0],), False)]
    return []


_SHORT_CODE = re.compile(r"^[0-9A-Z][0-9A-Z]?$")


_PARTICLES = frozenset({"de", "del", "der", "da", "di", "van", "von", "la", "le", "and", "of", "the"})


def _plain_name(value: str) -> bool:
    """A name as printed: words of 3+ letters or capitalised ("Le", "B."), no case flipping inside a word. Letters
    read one or two at a time ("Pat rl se Cla W Tra nN") are a spaced-out font Tesseract split."""
    tokens = value.split()
    fragments = [
        t
        for t in tokens
        if len(t.strip(".,")) <= 2 and t not in _PARTICLES and not re.fullmatch(r"[A-Z][a-z]?\.?|[A-Z]{2,4}\.?|&", t)
    ]
    flipped = [t for t in tokens if re.search(r"[a-z][A-Z]", t) or (t[0].islower() and t not in _PARTICLES)]
    return not fragments and not flipped


def _candidates(rows: list[list[Word]], kind: str) -> list[_Candidate]:
    if kind == "money":
        return [c for row in rows for c in _money_in(row)]
    if kind in ("ssn", "ein", "tin"):
        return [c for row in rows for c in _tins_in(row, kind)]
    return _text_in(rows, kind)


def _inside(layout: Layout, label: Box, cell: Box, h: int) -> list[Word]:
    """The value words of the label's cell: below the label, or right of it on its line."""
    return [
        w
        for w in layout.values
        if cell.left <= w.left + w.width / 2 <= cell.right
        and cell.top <= w.top + w.height / 2 <= cell.bottom
        and (w.top + w.height / 2 > label.bottom - h / 4 or w.left >= label.right)
    ]


def read_cell(layout: Layout, label: Box, kind: str, line: int = 0) -> Reading | None:
    """The value of kind printed in the label's cell, with its reading score; None when the cell is empty.
    `line`: the height of one line of the label, when it is printed over several."""
    cell = layout.cell(label, line)
    h = max(line or label.height, 8)
    inside = _inside(layout, label, cell, h)
    if not inside:
        return None
    candidates = _candidates(_rows(inside), kind)
    if not candidates:
        return None
    best = candidates[0]
    score, why = 1.0, []
    span = _box(best.words)
    if not best.clean:
        score, why = min(score, 0.35), [*why, "stray characters"]
    if span.right > cell.right + h / 2 or span.left < cell.left - h:
        score, why = min(score, 0.2), [*why, "crosses the cell border"]
    if span.top - label.bottom > FAR * h:
        score, why = min(score, 0.5), [*why, "far from its label"]
    elif span.top - label.bottom > USUAL_DEPTH.get(kind, USUAL_DEPTH["*"]) * h:  # maybe the next cell's value
        score, why = min(score, 0.8), [*why, "lower than values sit"]
    # Tesseract's own confidence stays high on some garbage, but a low one is worth hearing: a blurred
    # digit read as another.
    ocr = min(w.confidence for w in best.words)
    if ocr < UNSURE_OCR:
        score, why = min(score, 0.5), [*why, "unsure OCR"]
    elif ocr < DOUBTFUL_OCR:  # under the trusted line, not under review
        score, why = min(score, 0.8), [*why, "doubtful OCR"]
    if len({c.value for c in candidates}) > 1 and kind in ("money", "ssn", "ein", "tin"):
        score, why = min(score, 0.6), [*why, "several values in the cell"]
    return Reading(best.value, score, ", ".join(why), span)


# ---- the page ----------------------------------------------------------------------------------


# A cell read again on its own (ocr.read_region): given (left, top, right, bottom) of the page's prepared
# image, the words Tesseract reads there.
Reread = Callable[[tuple[int, int, int, int]], Sequence[Word]]
REREAD_KINDS = frozenset({"money", "ssn", "ein", "tin"})
WEAK = 0.6  # a reading under this is read again
# A value found only by reading its cell again: never trusted on its own (field_confidence keeps it
# under 0.9 unless the form's invariants confirm it twice).
REREAD_SCORE = 0.7
EMPTY_CELL_DEPTH = 8  # label heights: how far under its label an empty cell is read again
REREAD_COPIES = 2  # labels tried, topmost first: a title's words may match a box label above the box


def _reread_region(layout: Layout, label: Label, empty_too: bool) -> tuple[int, int, int, int] | None:
    """Where the value of the label's cell is printed: its first value row padded by half a line,
    stretched to the cell's width; without a value word, the lines under the label (only `empty_too`)."""
    cell = layout.cell(label.box, label.line)
    h = max(label.line or label.box.height, 8)
    inside = _inside(layout, label.box, cell, h)
    if not inside and not empty_too:
        return None
    if inside:
        # The first value row; a lone box number is the next box's ("2" under box 1's amount).
        rows = [r for r in _rows(inside) if len(r) > 1 or not _BOX_ID.match(_norm(r[0].text))] or _rows(inside)
        # A row right of the label but above its line is rather a title beside the box ("Form 1099-NEC").
        row = next((r for r in rows if r[0].top + r[0].height / 2 >= label.box.top), rows[0])
        top, bottom = min(w.top for w in row), max(w.top + w.height for w in row)
        text_h = max(w.height for w in row)
        top, bottom = max(cell.top, top - text_h // 2), min(cell.bottom, bottom + text_h // 2)
        left = cell.left
        if top < label.box.bottom:  # keep the label out of the region
            if row[0].left >= label.box.right:  # a value printed right of its label
                left = label.box.right + 1
            else:
                top = label.box.bottom + 1
    else:  # down to the cell's end: a filled form's value may be printed several times the label's size
        left, top = cell.left, label.box.bottom + 1
        bottom = min(cell.bottom, label.box.bottom + EMPTY_CELL_DEPTH * h)
    if bottom - top < h // 2 or cell.right - left < h:
        return None
    return (left, top, cell.right, bottom)


def reread_cell(layout: Layout, label: Label, kind: str, reread: Reread, empty_too: bool = True) -> Reading | None:
    """The label's cell read again on its own: a value whose digits merged with a border or a shadow in
    the page's reading ("44776.12" as "aerre.te") often reads right alone. Scored REREAD_SCORE at most;
    None when nothing parses there (or, unless `empty_too`, the cell holds no value word)."""
    region = _reread_region(layout, label, empty_too)
    if region is None:
        return None
    words = [w for w in reread(region) if w.text.strip()]
    candidates = _candidates(_rows(words), kind) if words else []
    if not candidates:
        return None
    best = candidates[0]
    score, why = REREAD_SCORE, ["re-read"]
    if not best.clean:
        score, why = min(score, 0.35), [*why, "stray characters"]
    if min(w.confidence for w in best.words) < DOUBTFUL_OCR:
        score, why = min(score, 0.5), [*why, "doubtful OCR"]
    if len({c.value for c in candidates}) > 1:
        score, why = min(score, 0.5), [*why, "several values in the cell"]
    return Reading(best.value, score, ", ".join(why), _box(best.words))


# A name (kind "text") has no checksum or invariant to catch a letter misread ("Jonnson" for "Johnson",
# read at a Tesseract confidence of 96): it is trusted only when its line, read again on its own, agrees.
CONFIRMED_KINDS = frozenset({"text"})
UNCONFIRMED = 0.8  # a value its second reading does not confirm: under the trusted line, not under review
_EDGE_MARKS = re.compile(r"^[^\w&]+|[^\w&.]+$")  # a border read as a quote or bar at a word's end ("‘Lotus")


def _line_region(layout: Layout, span: Box, value: str) -> tuple[int, int, int, int]:
    """The value's own line: its words' typical top and bottom (a word box swollen by a rule may reach the
    next line) padded by half a line above and below but never into a neighbouring line (a line read
    with part of the next one reads as nothing or as garbage), and by a line left and right."""
    tokens = set(value.split())
    own = [
        w
        for w in layout.values
        if w.text in tokens
        and span.left <= w.left + w.width / 2 <= span.right
        and span.top <= w.top + w.height / 2 <= span.bottom
    ]
    if own:
        top, bottom = statistics.median_low(w.top for w in own), statistics.median_low(w.top + w.height for w in own)
        span = Box(span.left, top, span.right, max(bottom, top + 1))
    h = max(span.height, 8)
    top, bottom = span.top - h // 2, span.bottom + h // 2
    for w in (w for p in layout.phrases for w in p.words):  # labels too: a value may sit under its label
        if _overlap(w.left, w.left + w.width, span.left - h, span.right + h) <= 0:
            continue
        if w.top + w.height <= span.top + h // 4:  # a line above
            top = max(top, w.top + w.height + 1)
        elif w.top >= span.bottom - h // 4:  # a line below
            bottom = min(bottom, w.top - 1)
    return (span.left - h, min(top, span.top - 2), span.right + h, max(bottom, span.bottom + 2))


def _tokens(texts: Iterable[str]) -> list[str]:
    return [t for t in (_EDGE_MARKS.sub("", w) for text in texts for w in text.split()) if t]


def _agrees(value: str, words: Sequence[Word]) -> bool:
    """The value's words, in order, among a second reading's words (a stray mark from a border aside)."""
    want, got = _tokens(value.split()), _tokens(w.text for w in words)
    return bool(want) and any(got[i : i + len(want)] == want for i in range(len(got) - len(want) + 1))


def _confirmed(layout: Layout, reading: Reading, span: Box, reread: Reread) -> Reading:
    """A trusted text reading checked against its line read again on its own (one region, cached by the
    caller): when the two disagree the first value is kept, not trusted. A line that reads as nothing on
    its own (a photo's blurred neighbour lines in the region) says nothing either way: the real-layout
    photos' empty second readings were all of right names."""
    second = [w for w in reread(_line_region(layout, span, reading.value)) if w.text.strip()]
    if not second or _agrees(reading.value, second):
        return reading
    why = ", ".join(filter(None, [reading.why, "a second reading disagrees"]))
    return Reading(reading.value, min(reading.score, UNCONFIRMED), why, reading.at)


def _continuation(layout: Layout, phrase: Phrase) -> Phrase | None:
    """The phrase printed right under `phrase` and starting within its width: a label's second line
    ("4 Federal income tax" over "withheld")."""
    if id(phrase) in layout.below:
        return layout.below[id(phrase)]
    box, h = phrase.box, max(phrase.box.height, 8)
    best = None
    for q in layout.phrases:
        qb = q.box
        if (
            box.bottom - h / 3 <= qb.top <= box.bottom + 1.2 * h
            and box.left - h <= qb.left <= box.right - h
            and 0.6 * h <= qb.height <= 2 * h
            and (best is None or qb.top < best.box.top)
        ):
            best = q
    layout.below[id(phrase)] = best
    return best


def _box_number(layout: Layout, label: Box) -> Box | None:
    """A lone box number or letter printed left of the label on its line ("B   Partnership's name",
    "7   Distribution code(s)"): part of the label, and where its cell starts."""
    h = max(label.height, 8)
    for p in layout.phrases:
        b = p.box
        if (
            len(p.words) == 1
            and _BOX_ID.match(_norm(p.words[0].text))
            and label.left - 3 * h <= b.right <= label.left
            and _overlap(b.top, b.bottom, label.top, label.bottom) >= 0.5 * min(b.height, label.height)
        ):
            return b
    return None


def _with_second_line(layout: Layout, phrase: Phrase, words: tuple[Word, ...]) -> tuple[tuple[Word, ...], int]:
    """A label matched on its first line whose wording goes on under it ("2 State or local income tax"
    over "refunds, credits, or offsets"): that line is the label's, not the border of its cell. Only
    label words that start no box of their own count (no box number, no amount)."""
    q = _continuation(layout, phrase)
    if q is None or not _is_label_like(q) or _BOX_ID.match(_norm(q.words[0].text)):
        return words, 0
    if not phrase.words or words[-1] is not phrase.words[-1]:  # the match ended before its line did
        return words, 0
    return (*words, *q.words), phrase.box.height


def _labels(layout: Layout, pattern: str) -> list[Label]:
    regex = re.compile(pattern)
    found = []
    for p in layout.phrases:
        words, line = _matches(p, regex), 0
        if not words:  # a label wrapped over two lines
            q = _continuation(layout, p)
            joined = _matches(Phrase(p.words + q.words), regex) if q else None
            if joined and joined[0] in p.words and q is not None:
                words, line = joined, p.box.height
        if words and not line:  # matched on its first line: a second label line under it is the label's too
            words, line = _with_second_line(layout, p, words)
        if words and statistics.median(w.height for w in words) > TITLE_SIZE * (layout.label_height or 1e9):
            continue  # the form's title ("Interest Income" over the 1099-INT's boxes) labels no box
        if words:
            box = _box(words)
            number = None if _BOX_ID.match(_norm(words[0].text)) else _box_number(layout, _box(words[:1]))
            if number:
                box = Box(number.left, min(box.top, number.top), box.right, max(box.bottom, number.bottom))
                line = line or max(_box(words[:1]).height, 1)
            found.append(Label(pattern, box, words, line))
    return sorted(found, key=lambda lab: (lab.box.top, lab.box.left))


def _letter_spaced(text: str) -> bool:
    """A value read letter by letter ("D U C K H Oa Nn": large print whose letter gaps Tesseract took
    for word gaps)."""
    words = text.split()
    return len(words) >= 3 and sum(len(w) == 1 for w in words) >= 0.5 * len(words)


def _first_reading(
    layout: Layout, pattern: str, kind: str, reread: Reread | None = None, empty_too: bool = False
) -> tuple[Reading, Label] | None:
    """The value of the topmost copy's cell that holds one. With `reread`, a number that reads poorly
    or not at all, or a text read letter by letter, is read again from its cell alone (`empty_too`: also
    a cell with no value word, for the fields a document must have: re-reading every blank box would cost
    a Tesseract call each)."""
    labels = _labels(layout, pattern)
    if kind not in REREAD_KINDS and kind != "text":
        reread = None
    for label in labels:  # topmost copy first
        reading = read_cell(layout, label.box, kind, label.line)
        if reading and kind == "text" and _letter_spaced(reading.value):
            again = reread_cell(layout, label, kind, reread, empty_too=False) if reread else None
            if again and not _letter_spaced(again.value):
                return again, label
            reading = Reading(reading.value, min(reading.score, 0.35), "read letter by letter", reading.at)
        elif reading and reread and reading.score < WEAK:
            again = reread_cell(layout, label, kind, reread, empty_too=False)
            if again and again.value != reading.value and again.score > reading.score:
                return again, label
        if reading:
            return reading, label
    for label in labels[:REREAD_COPIES] if reread else ():
        again = reread_cell(layout, label, kind, reread, empty_too)
        if again:
            return again, label
    return None


_YEAR_WORD = re.compile(r"^\(?(19[89]\d|20[0-3]\d)\)?$")
_CENTS = re.compile(r"^\d*[.,]\d{2}$")  # the end of an amount
_TITLE = re.compile(r"wage and tax statement|^form\b|calendar year|tax year|\b1099|\bw-?2\b|schedule k-1|1095-a|1098")


def _is_year(text: str) -> bool:
    m = _YEAR_WORD.match(text)
    return bool(m) and int(m.group(1)) >= 2000


def _spaced_years(layout: Layout) -> list[Word]:
    """Years whose digits Tesseract read as separate words ("201 3": a spaced title font), as one word."""
    out = []
    for p in layout.phrases:
        digits = [w for w in p.words if w.text.isdigit()]
        if 1 < len(p.words) <= 4 and len(digits) == len(p.words) and _is_year("".join(w.text for w in digits)):
            box, text = p.box, "".join(w.text for w in digits)
            ocr = min(w.confidence for w in digits)
            out.append(Word(text, box.left, box.top, box.right - box.left, box.height, ocr))
    return out


def _words_in_text(layout: Layout) -> set[int]:
    """The ids of years that begin a line of words ("2008 Coder Ln": a street number as large as a title
    when the form's fields print in a large font), unless that line is a title ("2013 Form 1099-INT"), and
    of years an amount's cents follow (its first digits)."""
    out = set()
    for p in layout.phrases:
        for i, w in enumerate(p.words[:-1]):
            after = p.words[i + 1].text
            if not _is_year(w.text):
                continue
            # "2021 3.43": an amount (20213.43) read as two words, its first digits no year either.
            if (after[:1].isalpha() and not _TITLE.search(_norm(p.text))) or _CENTS.match(after):
                out.add(id(w))
    return out


def tax_year(layout: Layout, text: str, title_words: Sequence[Word] = ()) -> Reading | None:
    """The year printed in the form's title area: the tallest year on the page (title years are
    printed large), else the text's year. `title_words`: the title area read again on its own (ocr.py:
    the W-2's and 1099s' outlined year digits, which the page's reading misses)."""
    in_text = _words_in_text(layout)
    years = [w for w in (*layout.values, *_spaced_years(layout), *title_words) if _is_year(w.text)]
    years = [w for w in years if id(w) not in in_text]
    if years:
        tallest = max(years, key=lambda w: w.height)
        typical = statistics.median(w.height for w in layout.values)
        title = tallest.height >= 1.5 * typical  # printed large, as titles are
        year = _YEAR_WORD.match(tallest.text).group(1)
        if title and tallest.confidence < DOUBTFUL_OCR:  # large but blurred: a digit may be misread
            return Reading(year, 0.6, "doubtful OCR")
        return Reading(year, 1.0 if title else 0.6, "" if title else "small")
    year = rules.tax_year(text)
    return Reading(str(year), 0.6, "not in the title area") if year else None


# Fields that hold a person's name: one word alone is a name with a part lost (a photo's first name unread).
PERSON_FIELDS = frozenset(
    {"recipient_name", "partner_name", "employee_name", "beneficiary_name", "borrower_name", "student_name"}
)


def read_page(doc_type: DocType, page: PageText, reread: Reread | None = None) -> dict[str, Reading]:
    """Every schema field found by its label's cell on a page with word boxes; {} without boxes.
    `reread`: how to read one region of the page again (ocr.read_region), for numbers the page's
    reading garbled and for the line of each trusted name (_confirmed)."""
    schema = schema_for(doc_type)
    if schema is None or not page.words or doc_type in NOT_BOXED:
        return {}
    patterns = patterns_for(doc_type)
    compiled = [re.compile(p) for p in (*patterns.values(), *BORDERS.get(doc_type, ()))]
    layout = Layout.of(page.words, compiled)
    kinds = {f.name: f.kind for f in schema.fields}
    found: dict[str, Reading] = {}
    for name, pattern in patterns.items():
        got = _first_reading(layout, pattern, kinds[name], reread, name in schema.key_fields)
        if not got:
            continue
        reading, label = got
        span = reading.at
        second = JOINED.get((doc_type, name))
        if second:  # the first-name and last-name columns of one cell
            last = next(
                (lab for lab in _labels(layout, second) if abs(lab.box.top - label.box.top) <= label.box.height),
                None,
            )
            more = read_cell(layout, last.box, "text", last.line) if last else None
            split = "first" in _norm(" ".join(w.text for w in label.words))  # a form with a last-name column
            if more is None and split:  # the second column's label or value lost: the name is likely incomplete
                reading = Reading(reading.value, min(reading.score, 0.4), "one column only", reading.at)
            if more and len(more.value) < 3:  # a stray mark, not a last name
                more = Reading(more.value, 0.3, "short")
            if more and more.value not in reading.value:
                reading = Reading(
                    f"{reading.value} {more.value}", min(reading.score, more.score), reading.why, reading.at
                )
                if reading.at is not None and more.at is not None:  # both columns, read again as one line
                    span = _box_union(reading.at, more.at)
        if name in PERSON_FIELDS and len(reading.value.split()) == 1:  # a first or last name lost
            reading = Reading(reading.value, min(reading.score, 0.6), "one word of a person's name", reading.at)
        if reread and kinds[name] in CONFIRMED_KINDS and reading.score > UNCONFIRMED and span is not None:
            reading = _confirmed(layout, reading, span, reread)
        found[name] = reading
    if "tax_year" in kinds:
        year = tax_year(layout, page.text, page.title_words)
        if year:
            found["tax_year"] = year
    _flag_repeats(found)
    return found


def _flag_repeats(found: dict[str, Reading]) -> None:
    """Two fields read from the same words: one of them took its neighbour's value."""
    by_place: dict[Box, list[str]] = {}
    for name, reading in found.items():
        if reading.at is not None:
            by_place.setdefault(reading.at, []).append(name)
    for names in by_place.values():
        if len(names) > 1:
            for n in names:
                r = found[n]
                found[n] = Reading(r.value, min(r.score, 0.3), ", ".join(filter(None, [r.why, "read twice"])), r.at)
