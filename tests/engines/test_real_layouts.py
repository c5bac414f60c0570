"""The real-layout set (ella_dagster/real_forms.py): official IRS fillable forms filled with generated
values. Fast tests: the truth is internally consistent and valid, and every filled value is really
drawn on the page. A slow regression: the offline engine on a fixed small subset of scans.

The corpus is read in place from ../shared/corpus/real; CI has it, so the tests that need it are
skipped only where it is missing (a developer's machine without shared/)."""

from __future__ import annotations

import io
import random
from decimal import Decimal

import numpy as np
import pytest
from PIL import Image

from ella_dagster import real_forms
from ella_dagster.corpus import real_corpus_dir
from ella_dagster.domain.doc_types import DocType
from ella_dagster.domain.extraction import merge_pages, schema_for, validation_errors
from ella_dagster.domain.field_confidence import value_is_valid
from ella_dagster.domain.uploads import sniff_mime

# Regression thresholds, a little under what the subset below (SUBSET_SEED: 3 W-2, 3 1099-INT and one
# scan of every other type, 13 in all) measured with the offline engine:
#   main at b0da929 (the layout-aware field reader of 96e3dfe): key-field exact match 0.952 on the W-2
#   and 1099-INT scans (20 of 21 key fields), 0.977 on all 13 (42 of 43), top-1 13/13;
#   main at acf91cd (engine as of 7d44def, before it): 0.714 (15/21), 0.767 (33/43), top-1 13/13;
#   main at e83444f (real labels, title-year crop): 1.000 (21/21), 1.000 (43/43), top-1 13/13;
#   main at aea7416 (warm Tesseract 5.5, large filled print): 1.000, 1.000, top-1 13/13; the same 13
#   photographed: 0.884 (38/43), top-1 13/13.
# Raise them as the engine improves (issue #11 asks >= 0.97 on scans, >= 0.90 on photos).
KEY_EXACT_W2_INT_MIN = 0.95  # 20 of 21
KEY_EXACT_ALL_MIN = 0.97  # 42 of 43
TOP1_MIN = 0.92  # 12 of 13
PHOTO_KEY_EXACT_ALL_MIN = 0.83  # 36 of 43

needs_corpus = pytest.mark.skipif(real_corpus_dir() is None, reason="../shared/corpus/real is not on this machine")


def _d(value: str | None) -> Decimal:
    return Decimal(value) if value else Decimal(0)


def _filled(layout: real_forms.Layout, extras: bool, seeds: range = range(6)) -> list[real_forms.FilledForm]:
    return [real_forms.fill(layout, random.Random(seed), extras) for seed in seeds]


@pytest.mark.parametrize("extras", [False, True], ids=["schema-names-addresses", "extras"])
@pytest.mark.parametrize("layout", real_forms.LAYOUTS, ids=lambda x: x.name)
def test_truth_is_valid_and_consistent(layout: real_forms.Layout, extras: bool) -> None:
    schema = schema_for(layout.doc_type)
    assert schema is not None
    for form in _filled(layout, extras):
        t = form.truth
        assert validation_errors(layout.doc_type, t) == []
        assert set(schema.key_fields) <= set(t), "every key field is printed on every copy"
        assert t.get("tax_year", str(layout.year)) == str(layout.year)
        kinds = {f.name: f.kind for f in schema.fields}
        for name, value in t.items():
            assert value_is_valid(kinds[name], value), name
            if kinds[name] in ("ssn", "tin") and len(value) == 11:
                assert 773 <= int(value[:3]) <= 899, "SSNs come from never-issued areas only"
        printed = "\n".join([*form.form_values.values(), *form.choice_values.values()]).replace(",", "")
        for name, value in t.items():
            if name == "tax_year":
                continue
            assert value in printed or (name == "employee_name" and value.split()[-1] in printed), name
        if layout.doc_type is DocType.W2:
            base = real_forms.SS_WAGE_BASE[layout.year]
            assert _d(t["social_security_wages"]) <= min(_d(t["medicare_wages"]), base)
            assert _d(t["wages"]) <= _d(t["medicare_wages"])
            ss = (_d(t["social_security_wages"]) * Decimal("0.062")).quantize(Decimal("0.01"))
            assert _d(t["social_security_tax"]) == ss
            medicare = (_d(t["medicare_wages"]) * Decimal("0.0145")).quantize(Decimal("0.01"))
            assert _d(t["medicare_tax"]) == medicare
            assert _d(t["federal_tax_withheld"]) < _d(t["wages"])
        elif layout.doc_type in (
            DocType.FORM_1099_INT,
            DocType.FORM_1099_NEC,
            DocType.FORM_1099_DIV,
            DocType.FORM_1099_K,
        ):
            total = _d(t.get("box_1") or t.get("box_1a"))
            assert _d(t.get("box_4")) <= total
            assert _d(t.get("box_1b")) <= total
        elif layout.doc_type is DocType.FORM_1099_MISC:
            assert _d(t.get("box_4")) <= _d(t.get("box_1")) + _d(t.get("box_2")) + _d(t.get("box_3"))
        elif layout.doc_type is DocType.FORM_1099_R:
            assert _d(t.get("box_4")) <= _d(t["box_2a"]) <= _d(t["box_1"])
        elif layout.doc_type is DocType.FORM_1099_G:
            assert _d(t.get("box_4")) <= _d(t.get("box_1"))
        elif layout.doc_type is DocType.FORM_1095_A and extras:
            months = [form.form_values[f"f1_{46 + 3 * m:03d}_0_[0]"] for m in range(12)]
            assert sum(_d(v.replace(",", "")) for v in months) == _d(t["annual_premium"])


def test_only_schema_boxes_names_and_addresses_are_filled_unless_extras() -> None:
    layout = next(x for x in real_forms.LAYOUTS if x.name == "1099int_2019_official_copy_b")
    plain, full = (real_forms.fill(layout, random.Random(5), extras) for extras in (False, True))
    assert plain.truth == full.truth
    assert plain.form_values["f2_7[0]"] == "" and full.form_values["f2_7[0]"]  # account number
    assert plain.form_values["f2_1[0]"].count("\n") == 2  # name, street, city: no phone line
    assert full.form_values["f2_1[0]"].count("\n") == 3
    assert plain.form_values["f2_4[0]"] == full.form_values["f2_4[0]"] == plain.truth["recipient_name"]


def test_the_same_seed_gives_the_same_form_and_another_seed_another() -> None:
    layout = real_forms.LAYOUTS[0]
    first, again, other = (real_forms.fill(layout, random.Random(s)).truth for s in (3, 3, 4))
    assert first == again
    assert first != other


def test_asked_for_types_are_covered_or_skipped_with_a_reason() -> None:
    covered = {layout.doc_type for layout in real_forms.LAYOUTS}
    for doc_type in real_forms.TYPES:
        assert (doc_type in covered) != (doc_type in real_forms.SKIPPED), doc_type
    assert all(reason for reason in real_forms.SKIPPED.values())


@needs_corpus
def test_every_layout_file_is_in_the_corpus() -> None:
    assert [x.name for x in real_forms.available_layouts()] == [x.name for x in real_forms.LAYOUTS]


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.int16)


@needs_corpus
@pytest.mark.parametrize("layout", [x for x in real_forms.LAYOUTS if x.drawn], ids=lambda x: x.name)
def test_a_flat_form_loses_its_own_values_and_shows_the_generated_ones(layout: real_forms.Layout) -> None:
    import pypdfium2 as pdfium

    original = pdfium.PdfDocument(layout.pdf_path().read_bytes())[layout.page - 1].get_textpage().get_text_range()
    blank = pdfium.PdfDocument(real_forms.filled_pdf(layout, {}))[0].get_textpage().get_text_range()
    assert len(blank) < len(original), "the sample's own values are gone"
    form = real_forms.fill(layout, random.Random(11))
    text = pdfium.PdfDocument(real_forms.filled_pdf(layout, form.form_values))[0]
    text = text.get_textpage().get_text_range()
    for name, value in form.form_values.items():
        for line in filter(None, value.split("\n")):
            assert line in text, name
    for value in form.truth.values():
        assert value.replace(".", "") in text.replace(",", "").replace(".", "") or value == str(layout.year)
    before = _pixels(real_forms.render(layout, {}, 100))
    after = _pixels(real_forms.render(layout, form.form_values, 100))
    assert ((before - after) > 40).sum() > 500


@needs_corpus
@pytest.mark.parametrize("layout", [x for x in real_forms.LAYOUTS if not x.drawn], ids=lambda x: x.name)
def test_every_filled_value_is_drawn_in_its_own_box(layout: real_forms.Layout) -> None:
    dpi = 100
    form = real_forms.fill(layout, random.Random(11))
    blank = _pixels(real_forms.render(layout, {}, dpi))
    filled = _pixels(real_forms.render(layout, form.form_values, dpi, form.choice_values))
    height, k = blank.shape[0], dpi / 72
    changed_outside = blank != filled

    def cell(name: str, margin: int = 0) -> tuple[slice, slice]:
        left, bottom, right, top = (v * k for v in real_forms.field_rects(layout)[name])
        rows = slice(max(0, int(height - top) - margin), int(height - bottom) + 1 + margin)
        return rows, slice(max(0, int(left) - margin), int(right) + 1 + margin)

    for name, value in form.form_values.items():
        box = cell(name, 1)
        changed_outside[box] = False
        if value:
            darker = (blank[box] - filled[box]) > 40
            assert darker.sum() >= 3, f"{name} ({len(value)} characters) is not drawn"
    # Values stay in their boxes: nothing else on the page changes (the combo boxes aside).
    for name in form.choice_values:
        changed_outside[cell(name, 3)] = False
    assert changed_outside.sum() < 0.001 * changed_outside.size


@needs_corpus
def test_the_set_gives_scans_and_photos_with_their_page() -> None:
    types = [DocType.W2, DocType.FORM_1099_INT, DocType.SCHEDULE_K1]
    scans = real_forms.real_layout_set(random.Random(1), per_type=1, types=types)
    assert [s.doc_type for s in scans] == types
    for s in scans:
        assert sniff_mime(s.data) == s.mime_type
        assert 150 <= s.dpi <= 300
        assert s.page >= 1 and s.copy
        if s.mime_type == "image/png":  # drawn at the stated DPI: a letter page
            width, _ = Image.open(io.BytesIO(s.data)).size
            assert width == round(8.5 * s.dpi)
    photos = real_forms.real_layout_set(random.Random(1), per_type=1, photo=True, types=[DocType.W2])
    assert [(p.doc_type, p.mime_type) for p in photos] == [(DocType.W2, "image/jpeg")]
    assert photos[0].fields == scans[0].fields  # the same seed fills the same values


# -- regression: the offline engine on a fixed subset ---------------------------------------------------
SUBSET_SEED = 2026
SUBSET = {DocType.W2: 3, DocType.FORM_1099_INT: 3}  # the other available types: one each


@pytest.fixture(scope="module")
def subset_outcomes():
    return _outcomes(real_forms.scan)


@pytest.fixture(scope="module")
def subset_photo_outcomes():
    return _outcomes(real_forms.photograph)


def _outcomes(make):
    from ella_dagster.engines import OfflineEngine

    engine = OfflineEngine()
    rng = random.Random(SUBSET_SEED)
    outcomes = []
    for doc_type in real_forms.TYPES:
        layouts = real_forms.available_layouts([doc_type])
        for i in range(SUBSET.get(doc_type, 1) if layouts else 0):
            sample = make(layouts[i % len(layouts)], rng, index=i)
            result = engine.classify(sample.data, sample.mime_type)
            found = {}
            if result.doc_type is doc_type:
                extraction = engine.extract(sample.data, sample.mime_type, result.doc_type)
                found = merge_pages([p.fields for p in extraction.pages])[0]
            keys = schema_for(doc_type).key_fields
            exact = sum(found.get(k) == sample.fields.get(k) for k in keys)
            outcomes.append((sample.filename, doc_type, result.doc_type, exact, len(keys)))
    return outcomes


def _rate(outcomes, types=None) -> float:
    chosen = [o for o in outcomes if types is None or o[1] in types]
    return sum(o[3] for o in chosen) / sum(o[4] for o in chosen)


@pytest.mark.slow
@needs_corpus
def test_key_fields_of_real_w2_and_1099_int_scans(subset_outcomes) -> None:
    rate = _rate(subset_outcomes, {DocType.W2, DocType.FORM_1099_INT})
    print(f"key-field exact match, W-2 and 1099-INT scans: {rate:.3f}")
    assert rate >= KEY_EXACT_W2_INT_MIN, subset_outcomes


@pytest.mark.slow
@needs_corpus
def test_key_fields_and_top1_of_every_real_layout(subset_outcomes) -> None:
    rate = _rate(subset_outcomes)
    top1 = sum(o[1] is o[2] for o in subset_outcomes) / len(subset_outcomes)
    print(f"key-field exact match, all real-layout scans: {rate:.3f}; top-1 {top1:.3f}")
    assert rate >= KEY_EXACT_ALL_MIN, subset_outcomes
    assert top1 >= TOP1_MIN, [o for o in subset_outcomes if o[1] is not o[2]]


@pytest.mark.slow
@needs_corpus
def test_key_fields_and_top1_of_every_real_layout_photographed(subset_photo_outcomes) -> None:
    rate = _rate(subset_photo_outcomes)
    top1 = sum(o[1] is o[2] for o in subset_photo_outcomes) / len(subset_photo_outcomes)
    print(f"key-field exact match, all real-layout photos: {rate:.3f}; top-1 {top1:.3f}")
    assert rate >= PHOTO_KEY_EXACT_ALL_MIN, subset_photo_outcomes
    assert top1 >= TOP1_MIN, [o for o in subset_photo_outcomes if o[1] is not o[2]]
