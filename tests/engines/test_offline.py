"""The offline engine on generated documents with known labels (real Tesseract, no mocks)."""

import pytest

from ella_dagster.domain.doc_types import DocType
from ella_dagster.domain.extraction import merge_pages, schema_for
from ella_dagster.domain.routing import AUTO_LINK_THRESHOLD, REVIEW_THRESHOLD
from ella_dagster.engines import OfflineEngine

ENGINE = OfflineEngine()
KINDS = ["w2", "1099int", "1099nec", "ssn_card", "driver_license", "1099int_pdf"]


@pytest.mark.parametrize("kind", KINDS)
def test_recognises_each_supported_type(generated, kind: str) -> None:
    sample = generated[kind]
    result = ENGINE.classify(sample.data, sample.mime_type)
    assert result.doc_type is sample.doc_type
    assert result.confidence >= REVIEW_THRESHOLD
    assert result.engine == "offline-tesseract" and result.engine_version.startswith("tesseract-")


@pytest.mark.parametrize("kind", ["w2", "1099int", "1099nec"])
def test_tax_forms_auto_link_with_year_and_source(generated, kind: str) -> None:
    sample = generated[kind]
    result = ENGINE.classify(sample.data, sample.mime_type)
    assert result.confidence >= AUTO_LINK_THRESHOLD
    assert result.tax_year == 2024
    assert result.source == sample.fields.get("employer_name", sample.fields.get("payer_name"))


def test_unrelated_document_is_unknown_with_low_confidence(generated) -> None:
    sample = generated["unknown"]
    result = ENGINE.classify(sample.data, sample.mime_type)
    assert result.doc_type is DocType.UNKNOWN and result.confidence < 0.3


@pytest.mark.parametrize("kind", KINDS)
def test_extracts_the_key_fields(generated, kind: str) -> None:
    sample = generated[kind]
    extraction = ENGINE.extract(sample.data, sample.mime_type, sample.doc_type)
    merged, _ = merge_pages([p.fields for p in extraction.pages])
    for name in schema_for(sample.doc_type).key_fields:
        assert merged.get(name) == sample.fields[name], name


def test_multipage_pdf_is_read_per_page(generated) -> None:
    sample = generated["1099int_pdf"]
    extraction = ENGINE.extract(sample.data, sample.mime_type, sample.doc_type)
    assert [p.page for p in extraction.pages] == [1, 2]
    merged, origin = merge_pages([p.fields for p in extraction.pages])
    assert merged["box_1"] == sample.fields["box_1"]  # the corrected second page wins
    assert origin["box_1"] == 2
