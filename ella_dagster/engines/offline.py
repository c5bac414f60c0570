"""The embedded default engine: Tesseract OCR (or a PDF's own text layer) plus evidence rules."""

from __future__ import annotations

import functools
import time

from ella_dagster.domain.doc_types import NO_TAX_YEAR, DocType
from ella_dagster.domain.extraction import confidence_for, schema_for
from ella_dagster.engines import fields, rules
from ella_dagster.engines.base import Classification, Extraction, PageFields
from ella_dagster.engines.ocr import PageText, page_texts, read_region, second_reading, tesseract_version

Answer = tuple[DocType, float, str, list[dict[str, object]]]


def classify_page(data: bytes, mime_type: str, number: int, page: PageText) -> tuple[PageText, Answer]:
    """Page `number` classified by the rules; when nothing is recognised, page segmentation may have cut
    the words apart (ID cards, words printed over a background pattern): the page is read again as one
    block, and that reading is kept if it recognises something. Returns the reading used and the answer."""
    answer = rules.classify_text(page.text, page.heading())
    if answer[0] is DocType.UNKNOWN:
        second = second_reading(data, mime_type, number)
        if second is not None:
            again = rules.classify_text(second.text, second.heading())
            if again[0] is not DocType.UNKNOWN:
                return second, again
    return page, answer


class OfflineEngine:
    name = "offline-tesseract"

    def __init__(self, revision: str = "") -> None:
        self.version = f"tesseract-{tesseract_version()}+{rules.RULES_VERSION}" + (f"+{revision}" if revision else "")

    def can_extract(self, doc_type: DocType) -> bool:
        return fields.can_find(doc_type)

    def classify(self, data: bytes, mime_type: str) -> Classification:
        started = time.perf_counter()
        page, (doc_type, confidence, reasoning, alternatives) = classify_page(
            data, mime_type, 1, page_texts(data, mime_type)[0]
        )
        first = page.text
        source, found = None, {}
        if doc_type in fields.SOURCE_FIELD:
            found = fields.find_fields(doc_type, page)
            source = found.get(fields.SOURCE_FIELD[doc_type])
        year = rules.tax_year(first) if doc_type not in NO_TAX_YEAR else None
        if found.get("tax_year") and doc_type not in NO_TAX_YEAR:  # the title's year, where boxes tell it
            year = int(found["tax_year"])
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
        schema = schema_for(doc_type)
        key_fields = schema.key_fields if schema else []
        for number, page in enumerate(page_texts(data, mime_type), start=1):
            # Cached: the second reading below finds most cells where the first did.
            reread = functools.cache(functools.partial(read_region, data, mime_type, number))
            found, readings = fields.read_fields(doc_type, page, reread)
            if any(k not in found for k in key_fields):
                # A photo often loses whole boxes to page segmentation: read the page again as one
                # uniform block and fill only what is still missing.
                second = second_reading(data, mime_type, number)
                if second:
                    more, more_readings = fields.read_fields(doc_type, second, reread)
                    found, readings = {**more, **found}, {**more_readings, **readings}
            confidence = confidence_for(doc_type, found) if found else 0.0
            pages.append(PageFields(number, found, confidence, readings))
        return Extraction(doc_type, pages, seconds=round(time.perf_counter() - started, 3))
