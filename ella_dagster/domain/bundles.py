"""Where one document of a scanned bundle ends and the next begins (no Dagster, no OCR here).

Clients scan a W-2, two 1099s and a driver license into one PDF. Each page is classified on its own
(`PageReading`: type, confidence, tax year, source, and what its text says about its place: a form
title or "Copy B" block in its heading, "Page 2 of 3", "(continued)", the back of an ID card); this
module decides, page by page, whether the page starts a new document or continues the current one:

- a confidently typed page of another type starts a new document;
- a page of the same type starts a new one when it carries its own form heading and a different
  tax year, source (payer, employer) or identity (the TINs on it); the same form again with the same
  year, source and identity is another copy of that form (Copy B, C, 2 of one W-2; a CORRECTED page);
- "Page k of n" with k > 1, "(continued)", the back of an ID, and untitled pages with no type of their
  own continue the current document; "Page 1 of n" starts one.

Every decision carries a certainty; the plan's confidence is the least certain decision. A plan of two
or more segments is split only at or above `SPLIT_CONFIDENCE`; below it staff get the proposal
instead (`needs_review`). A single-document PDF stays one segment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ella_dagster.domain.doc_types import DocType

TYPED_CONFIDENCE = 0.60  # a page with its own type at least this sure (the review threshold)
SPLIT_CONFIDENCE = 0.80  # the least certain decision of a plan that is split without staff
PLAUSIBLE_BOUNDARY = 0.30  # a single-segment plan goes to staff when a page came this close to a boundary
UNTYPED = frozenset({DocType.UNKNOWN, DocType.OTHER})
HEADING_LINES = 4

_PAGE_OF = re.compile(r"\bpage\s+(\d{1,2})\s*(?:of|/)\s*(\d{1,2})\b", re.IGNORECASE)
_PAGE_N = re.compile(r"(?:^|\n)[^\n]{0,60}\bpage\s+([2-9])\b(?!\s*(?:of|/)\s*\d)", re.IGNORECASE)
_CONTINUED = re.compile(r"\(?\bcontinued\b\)?|\bcont'?d\b|\bcontinuation\s+sheet\b", re.IGNORECASE)
_COPY = re.compile(r"\bcopy\s+(?:[abcd12]|for\s+recipient)\b", re.IGNORECASE)
# What the back of an ID card says and its front never does.
_CARD_BACK = re.compile(
    r"\brestrictions?\b|\bendorsements?\b|\borgan\s+donor\b|\bif\s+found\b|\breturn\s+to\b|"
    r"\bproperty\s+of\s+the\s+social\s+security\b|\bbarcode\b|\bthis\s+card\s+is\s+(?:the\s+)?property\b",
    re.IGNORECASE,
)
_TITLE = re.compile(
    r"\bform\s+(?:w-?2|ssa-?1099|109[5589][\w-]*)\b|\bschedule\s+k-?1\b|\bwage\s+and\s+tax\s+statement\b|"
    r"\bsocial\s+security\b|\bdriver'?s?\s+licen[cs]e\b|\bidentification\s+card\b|\bpassport\b|"
    r"\bcertificate\b|\bstatement\b|\breceipt\b|\bnotice\b|\bbusiness\s+licen[cs]e\b",
    re.IGNORECASE,
)
ID_CARDS = frozenset({DocType.DRIVER_LICENSE, DocType.SSN_CARD, DocType.PASSPORT})


@dataclass(frozen=True)
class PageSignals:
    """What a page's own text says about its place in a document."""

    title: bool = False  # a form title or a "Copy B" block in its heading
    page_of: tuple[int, int] | None = None  # "Page 2 of 3"
    continued: bool = False  # "(continued)", "Page 2" without a total
    card_back: bool = False  # restrictions, endorsements, "property of the Social Security Administration"


def page_signals(text: str, heading: str | None = None) -> PageSignals:
    """The signals of one page's text; `heading`: its first printed lines when OCR knows them."""
    lines = [line for line in text.splitlines() if line.strip()]
    head = heading if heading is not None else "\n".join(lines[:HEADING_LINES])
    head = "\n".join([head, *lines[:HEADING_LINES]])
    page_of = None
    for found in _PAGE_OF.finditer(text):
        k, n = int(found.group(1)), int(found.group(2))
        if 1 <= k <= n <= 50:
            page_of = (k, n)
            break
    continued = bool(_CONTINUED.search(text)) or (page_of is None and bool(_PAGE_N.search(text)))
    return PageSignals(
        title=bool(_TITLE.search(head) or _COPY.search(head)),
        page_of=page_of,
        continued=continued,
        card_back=bool(_CARD_BACK.search(text)),
    )


@dataclass(frozen=True)
class PageReading:
    """One page as classified on its own. `identity`: the identifying numbers read on the page (field
    name -> value), compared and never stored or shown."""

    number: int  # 1-based
    doc_type: DocType
    confidence: float
    tax_year: int | None = None
    source: str | None = None
    signals: PageSignals = field(default_factory=PageSignals)
    identity: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def typed(self) -> bool:
        return self.doc_type not in UNTYPED and self.confidence >= TYPED_CONFIDENCE


def page_range(first: int | None, last: int | None) -> str:
    """`3-4`, or `2` for one page."""
    return f"{first}-{last}" if last != first else str(first)


@dataclass(frozen=True)
class Segment:
    first_page: int
    last_page: int
    doc_type: DocType
    confidence: float

    @property
    def pages(self) -> str:
        return page_range(self.first_page, self.last_page)


@dataclass(frozen=True)
class Decision:
    """Whether page `page` starts a new document: the probability that it does, and why."""

    page: int
    starts: float
    reason: str

    @property
    def boundary(self) -> bool:
        return self.starts >= 0.5

    @property
    def certainty(self) -> float:
        return max(self.starts, 1.0 - self.starts)


@dataclass(frozen=True)
class BundlePlan:
    segments: tuple[Segment, ...]
    decisions: tuple[Decision, ...]  # one per page after the first

    @property
    def confidence(self) -> float:
        """The least certain decision (1.0 for a one-page document)."""
        return round(min((d.certainty for d in self.decisions), default=1.0), 3)

    @property
    def should_split(self) -> bool:
        return len(self.segments) >= 2 and self.confidence >= SPLIT_CONFIDENCE

    @property
    def needs_review(self) -> bool:
        """The boundaries are in doubt: staff decide. Two or more segments proposed with too little
        certainty, or one segment where a page came close to starting a document of its own."""
        if self.should_split or self.confidence >= SPLIT_CONFIDENCE:
            return False
        return len(self.segments) >= 2 or any(d.starts >= PLAUSIBLE_BOUNDARY for d in self.decisions)

    def describe(self) -> list[dict[str, object]]:
        """The proposal as staff (and metadata) see it: page ranges, types, confidences; no values."""
        return [
            {"pages": s.pages, "doc_type": s.doc_type.value, "confidence": round(s.confidence, 2)}
            for s in self.segments
        ]


def _norm(value: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", (value or "").lower())


def _near(a: str, b: str) -> bool:
    """Equal, or one OCR misread apart (same length, one character differs)."""
    return a == b or (len(a) == len(b) and len(a) >= 4 and sum(x != y for x, y in zip(a, b, strict=True)) <= 1)


def _differs(a: str | None, b: str | None) -> bool | None:
    """True/False when both are known, None when either is not."""
    na, nb = _norm(a), _norm(b)
    if not na or not nb:
        return None
    return not (_near(na, nb) or na in nb or nb in na)


def _identity_differs(a: Mapping[str, str], b: Mapping[str, str]) -> bool | None:
    shared = [k for k in a if k in b and _norm(a[k]) and _norm(b[k])]
    if not shared:
        return None
    return any(not _near(_norm(a[k]), _norm(b[k])) for k in shared)


@dataclass
class _Current:
    first: int
    doc_type: DocType
    confidence: float
    typed: bool
    tax_year: int | None
    source: str | None
    identity: Mapping[str, str]

    @classmethod
    def starting(cls, page: PageReading) -> _Current:
        return cls(page.number, page.doc_type, page.confidence, page.typed, page.tax_year, page.source, page.identity)

    def absorb(self, page: PageReading) -> None:
        """A continuation page: it may be the first to say what the document is, or say it more surely."""
        if page.typed and (not self.typed or (page.doc_type == self.doc_type and page.confidence > self.confidence)):
            self.doc_type, self.confidence, self.typed = page.doc_type, page.confidence, True
        if page.doc_type == self.doc_type:
            self.tax_year = self.tax_year or page.tax_year
            self.source = self.source or page.source
            self.identity = {**page.identity, **self.identity}


def _decide(current: _Current, page: PageReading) -> Decision:
    s = page.signals
    n = page.number
    if s.page_of is not None and s.page_of[0] > 1 and not (page.typed and page.doc_type != current.doc_type):
        return Decision(n, 0.03, f"page {s.page_of[0]} of {s.page_of[1]}")
    if s.page_of is not None and s.page_of[0] == 1 and n > current.first:
        return Decision(n, 0.92 if s.title or page.typed else 0.75, f"page 1 of {s.page_of[1]}")
    if s.card_back and current.doc_type in ID_CARDS and not (page.typed and page.doc_type != current.doc_type):
        return Decision(n, 0.05, "back of the card")
    if not page.typed:
        if page.doc_type not in UNTYPED and page.confidence >= 0.45 and page.doc_type != current.doc_type and s.title:
            return Decision(n, 0.5, f"a titled page that may be a {page.doc_type.value}")
        if s.continued:
            return Decision(n, 0.04, "continued")
        return Decision(n, 0.12 if not s.title else 0.2, "no type of its own")
    if not current.typed:
        # What came before had no type (a cover sheet, an unreadable page): this typed page starts one.
        return Decision(n, 0.85 if s.title else 0.7, f"first {page.doc_type.value} after untyped pages")
    if page.doc_type != current.doc_type:
        if s.continued:
            return Decision(n, 0.6, f"{page.doc_type.value} after {current.doc_type.value}, marked continued")
        return Decision(n, 0.95 if s.title else 0.85, f"{page.doc_type.value} after {current.doc_type.value}")
    # The same type again.
    if s.continued or s.card_back:
        return Decision(n, 0.05, "continued")
    if page.tax_year and current.tax_year and page.tax_year != current.tax_year:
        return Decision(n, 0.95 if s.title else 0.6, "a new form for another tax year")
    differs = [
        (what, d)
        for what, d in (
            ("source", _differs(page.source, current.source)),
            ("identity", _identity_differs(page.identity, current.identity)),
        )
    ]
    if any(d for _, d in differs):  # another payer, employer, person or card number: another paper
        what = next(w for w, d in differs if d)
        return Decision(n, 0.92 if s.title else 0.88, f"a new {page.doc_type.value}: another {what}")
    source_differs, identity_differs = (d for _, d in differs)
    if identity_differs is False:  # the same numbers: the same paper again (Copy C, CORRECTED, a photocopy)
        return Decision(n, 0.08, f"another copy of the same {page.doc_type.value}")
    if source_differs is False:  # the same payer, the numbers unread: most likely a copy too
        return Decision(n, 0.15, f"the same {page.doc_type.value} source again")
    if not s.title:
        if page.doc_type in ID_CARDS:  # a card has a front and a back: a second front is another card
            return Decision(n, 0.5, f"another {page.doc_type.value} front; its number unreadable")
        return Decision(n, 0.1, f"another page of the {page.doc_type.value}")
    return Decision(n, 0.5, f"a new {page.doc_type.value} heading; source and numbers unreadable")


def plan_bundle(pages: Sequence[PageReading]) -> BundlePlan:
    """Segments and the decisions behind them, for pages in order (numbered from 1)."""
    if not pages:
        return BundlePlan((), ())
    segments: list[Segment] = []
    decisions: list[Decision] = []
    current = _Current.starting(pages[0])
    last = pages[0].number
    for page in pages[1:]:
        decision = _decide(current, page)
        decisions.append(decision)
        if decision.boundary:
            segments.append(Segment(current.first, last, current.doc_type, current.confidence))
            current = _Current.starting(page)
        else:
            current.absorb(page)
        last = page.number
    segments.append(Segment(current.first, last, current.doc_type, current.confidence))
    return BundlePlan(tuple(segments), tuple(decisions))
