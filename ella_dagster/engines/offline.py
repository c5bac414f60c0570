"""The embedded default engine: Tesseract OCR (or a PDF's own text layer) plus evidence rules."""

from __future__ import annotations

import functools
import os
import time

import pytesseract
from PIL import Image

from ella_dagster.domain.doc_types import DocType
from ella_dagster.domain.errors import PermanentDocumentError, TransientDocumentError
from ella_dagster.domain.extraction import confidence_for, schema_for
from ella_dagster.domain.hashing import sha256_hex
from ella_dagster.domain.pages import Page, load_pages
from ella_dagster.domain.preprocess import prepare_for_ocr
from ella_dagster.engines import fields, lexicon, rules
from ella_dagster.engines.base import Classification, Extraction, PageFields

# Tesseract's OpenMP threads spin against each other and against parallel runs: on this project's 2-core
# machines one thread per page is ~5x faster (benchmarks/ocr_threads.py). An explicit setting wins.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

OCR_TIMEOUT_SECONDS = 120
TESSERACT_CONFIG = "--psm 3"


# OSD picks wrong rotations at low resolution with low confidence: act on it only above this.
OSD_MIN_CONFIDENCE = 3.0
# Common words of any document: an upside-down or sideways page reads as garbage without them.
_COMMON = frozenset(
    [
        "the",
        "and",
        "of",
        "for",
        "to",
        "in",
        "on",
        "or",
        "form",
        "tax",
        "total",
        "name",
        "number",
        "date",
        "amount",
        "income",
        "no",
        "your",
        "this",
        "account",
        "statement",
        "state",
        "city",
        "address",
        "social",
        "security",
        "year",
    ]
)
MIN_COMMON_WORDS = 3


def reads_as_text(text: str) -> bool:
    return sum(word in _COMMON for word in text.lower().split()) >= MIN_COMMON_WORDS


def _ocr(image: Image.Image) -> str:
    return pytesseract.image_to_string(image, config=TESSERACT_CONFIG, timeout=OCR_TIMEOUT_SECONDS)


def _upright(image: Image.Image) -> Image.Image | None:
    """The page turned upright when Tesseract's orientation detection is confident, else None."""
    try:
        osd = pytesseract.image_to_osd(image, output_type=pytesseract.Output.DICT, timeout=OCR_TIMEOUT_SECONDS)
    except pytesseract.TesseractError:  # too little text to tell
        return None
    if osd.get("rotate", 0) and float(osd.get("orientation_conf", 0)) >= OSD_MIN_CONFIDENCE:
        return image.rotate(-int(osd["rotate"]), expand=True, fillcolor=255)
    return None


def ocr_page(page: Page) -> str:
    if page.text_layer:
        return page.text_layer
    try:
        image = prepare_for_ocr(page.image)
        text = _ocr(image)
        if not reads_as_text(text):  # maybe the page is sideways or upside down
            upright = _upright(image)
            if upright is not None:
                text = _ocr(upright)
        return lexicon.repair(text)
    except RuntimeError as exc:  # pytesseract raises RuntimeError on its timeout
        raise TransientDocumentError("OCR timed out") from exc
    except pytesseract.TesseractNotFoundError as exc:
        raise PermanentDocumentError("tesseract is not installed (apt-get install tesseract-ocr)") from exc


@functools.lru_cache(maxsize=64)
def _page_texts(digest: str, data: bytes, mime_type: str) -> tuple[str, ...]:
    # Keyed by content hash: classification and extraction of one document share one OCR pass
    # when they run in the same process (the in-process executor runs a document's steps together).
    del digest
    return tuple(ocr_page(page) for page in load_pages(data, mime_type))


def page_texts(data: bytes, mime_type: str) -> tuple[str, ...]:
    return _page_texts(sha256_hex(data), data, mime_type)


SECOND_PASS_CONFIG = "--psm 6"


def second_reading(page: Page) -> str | None:
    """The page read again as one block of text (raster pages only; a text layer is complete)."""
    if page.text_layer:
        return None
    try:
        text = pytesseract.image_to_string(
            prepare_for_ocr(page.image), config=SECOND_PASS_CONFIG, timeout=OCR_TIMEOUT_SECONDS
        )
        return lexicon.repair(text)
    except RuntimeError as exc:
        raise TransientDocumentError("OCR timed out") from exc


def tesseract_version() -> str:
    try:
        return str(pytesseract.get_tesseract_version())
    except pytesseract.TesseractNotFoundError:
        return "missing"


NO_TAX_YEAR = {
    DocType.SSN_CARD,
    DocType.DRIVER_LICENSE,
    DocType.PASSPORT,
    DocType.BIRTH_CERTIFICATE,
    DocType.UNKNOWN,
    DocType.OTHER,
}


class OfflineEngine:
    name = "offline-tesseract"

    def __init__(self, revision: str = "") -> None:
        self.version = f"tesseract-{tesseract_version()}+{rules.RULES_VERSION}" + (f"+{revision}" if revision else "")

    def can_extract(self, doc_type: DocType) -> bool:
        return fields.can_find(doc_type)

    def classify(self, data: bytes, mime_type: str) -> Classification:
        started = time.perf_counter()
        texts = page_texts(data, mime_type)
        first = texts[0]
        doc_type, confidence, reasoning, alternatives = rules.classify_text(first)
        source = None
        if doc_type in fields.SOURCE_FIELD:
            source = fields.find_fields(doc_type, first).get(fields.SOURCE_FIELD[doc_type])
        year = rules.tax_year(first) if doc_type not in NO_TAX_YEAR else None
        return Classification(
            doc_type=doc_type,
            confidence=confidence,
            reasoning=reasoning,
            tax_year=year,
            source=source,
            alternatives=alternatives,
            engine=self.name,
            engine_version=self.version,
            seconds=round(time.perf_counter() - started, 3),
        )

    def extract(self, data: bytes, mime_type: str, doc_type: DocType) -> Extraction:
        started = time.perf_counter()
        pages = []
        key_fields = schema_for(doc_type).key_fields if schema_for(doc_type) else []
        rendered: list[Page] = []  # rendered once, and only if a page needs a second reading
        for number, text in enumerate(page_texts(data, mime_type), start=1):
            found = fields.find_fields(doc_type, text)
            if any(k not in found for k in key_fields):
                # A photo often loses whole boxes to page segmentation: read the page again as one
                # uniform block and fill only what is still missing.
                rendered = rendered or load_pages(data, mime_type)
                second = second_reading(rendered[number - 1])
                if second:
                    found = {**fields.find_fields(doc_type, second), **found}
            pages.append(PageFields(number, found, confidence_for(doc_type, found) if found else 0.0))
        return Extraction(doc_type, pages, seconds=round(time.perf_counter() - started, 3))
