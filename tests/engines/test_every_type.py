"""Regression tests for the offline engine on every document type (generated, labelled documents).
Thresholds sit a little under what these fixed sets measured (clean: 27/27 classified, 45/47 key fields exact;
photo-like: 27/27 classified, 46/47 key fields exact); benchmarks/accuracy.py reports larger sets."""

import random

import pytest

from ella_dagster import samples
from ella_dagster.domain.doc_types import DocType
from ella_dagster.domain.extraction import merge_pages, schema_for
from ella_dagster.domain.routing import AUTO_LINK_THRESHOLD, REVIEW_THRESHOLD
from ella_dagster.engines import OfflineEngine

pytestmark = [pytest.mark.slow]

ENGINE = OfflineEngine()
CLEAN = samples.every_type(random.Random(31), 2024)


@pytest.fixture(scope="module")
def clean_results():
    results = []
    for sample in CLEAN:
        classification = ENGINE.classify(sample.data, sample.mime_type)
        fields = {}
        if classification.doc_type == sample.doc_type and ENGINE.can_extract(sample.doc_type) and sample.fields:
            extraction = ENGINE.extract(sample.data, sample.mime_type, sample.doc_type)
            fields = merge_pages([p.fields for p in extraction.pages])[0]
        results.append((sample, classification, fields))
    return results


def test_every_type_is_generated() -> None:
    assert {s.doc_type for s in CLEAN} == set(DocType) - {DocType.UNKNOWN}


def test_clean_documents_of_every_type_are_recognised(clean_results) -> None:
    wrong = [(s.doc_type.value, c.doc_type.value) for s, c, _ in clean_results if c.doc_type != s.doc_type]
    assert wrong == []


def test_hard_negatives_are_other_with_low_confidence(clean_results) -> None:
    negatives = [(s, c) for s, c, _ in clean_results if s.doc_type is DocType.OTHER]
    assert len(negatives) == 4
    assert all(c.doc_type is DocType.OTHER and c.confidence < REVIEW_THRESHOLD for _, c in negatives)


def test_auto_linked_documents_are_right(clean_results) -> None:
    auto = [(s, c) for s, c, _ in clean_results if c.confidence >= AUTO_LINK_THRESHOLD]
    assert auto and all(c.doc_type == s.doc_type for s, c in auto)


def test_key_fields_of_the_sixteen_extracted_types(clean_results) -> None:
    counts = [_key_fields(sample, fields) for sample, _, fields in clean_results]
    right, total = sum(c[0] for c in counts), sum(c[1] for c in counts)
    assert total >= 40
    assert right / total >= 0.93, f"{right}/{total} key fields exact"


PHOTOS_TOP1, PHOTOS_KEY_FIELDS = 0.92, 0.90  # a little under the measured figures (see the module docstring)


def _key_fields(sample: samples.Sample, fields: dict) -> tuple[int, int]:
    schema = schema_for(sample.doc_type)
    if schema is None or not sample.fields:
        return 0, 0
    return sum(fields.get(n) == sample.fields[n] for n in schema.key_fields), len(schema.key_fields)


def test_photo_like_documents_of_every_type() -> None:
    rng = random.Random(8)
    photos = [samples.photo_like(s, rng) for s in samples.every_type(rng, 2024)]
    right = exact = total = 0
    for photo in photos:
        classification = ENGINE.classify(photo.data, photo.mime_type)
        right += classification.doc_type == photo.doc_type
        fields = {}
        if classification.doc_type == photo.doc_type and ENGINE.can_extract(photo.doc_type):
            extraction = ENGINE.extract(photo.data, photo.mime_type, photo.doc_type)
            fields = merge_pages([p.fields for p in extraction.pages])[0]
        found, of = _key_fields(photo, fields)
        exact, total = exact + found, total + of
    assert right / len(photos) >= PHOTOS_TOP1, f"{right}/{len(photos)} photos classified"
    assert total >= 40 and exact / total >= PHOTOS_KEY_FIELDS, f"{exact}/{total} key fields exact"


@pytest.mark.parametrize("angle", [90, 180, 270])
def test_sideways_and_upside_down_pages_are_turned_upright(angle: int) -> None:
    import io

    from PIL import Image

    sample = samples.w2(random.Random(5), 2024)
    turned = io.BytesIO()
    Image.open(io.BytesIO(sample.data)).rotate(angle, expand=True).save(turned, "PNG")
    assert ENGINE.classify(turned.getvalue(), "image/png").doc_type is DocType.W2
