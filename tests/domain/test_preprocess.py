"""Page preparation: a photographed sheet is found and flattened, a skew is measured, small text is
enlarged, box borders are erased, clean pages pass."""

import io
import random

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps
from scipy import ndimage

from ella_dagster import samples
from ella_dagster.domain.preprocess import (
    TARGET_GLYPH_HEIGHT,
    _runs,
    _thin_runs_along_rows,
    crop_page,
    erase_rules,
    estimate_skew,
    glyph_height,
    upscale_small_text,
)


@pytest.mark.slow
def test_a_photographed_sheet_is_cropped_to_about_its_own_shape() -> None:
    # Eight photos, some with the sheet's edge in a shadow as dark as the table: the crop keeps the
    # whole sheet (its shape), not just its lit part.
    for seed in range(8):
        rng = random.Random(seed)
        sample = samples.w2(rng, 2024)
        photo = Image.open(io.BytesIO(samples.photo_like(sample, rng).data))
        page = Image.open(io.BytesIO(sample.data))
        cropped = crop_page(photo)
        assert cropped.mode == "L"
        assert cropped.width < photo.width and cropped.height < photo.height
        assert abs(cropped.width / cropped.height - page.width / page.height) < 0.1, seed


def test_a_clean_render_is_left_alone() -> None:
    clean = ImageOps.grayscale(Image.open(io.BytesIO(samples.w2(random.Random(1), 2024).data)))
    assert crop_page(clean) is clean


def test_skew_is_measured_within_a_degree() -> None:
    page = ImageOps.grayscale(Image.open(io.BytesIO(samples.w2(random.Random(2), 2024).data)))
    for angle in (-7.0, 4.0):
        tilted = page.rotate(angle, expand=True, fillcolor=255)
        assert abs(estimate_skew(tilted) + angle) <= 1.0


def _page() -> Image.Image:
    return ImageOps.grayscale(Image.open(io.BytesIO(samples.w2(random.Random(3), 2024).data)))


def test_small_text_is_enlarged_towards_the_size_tesseract_reads() -> None:
    page = _page()
    small = page.resize((page.width * 2 // 5, page.height * 2 // 5))
    assert glyph_height(small) < TARGET_GLYPH_HEIGHT * 0.6
    enlarged = upscale_small_text(small)
    assert enlarged.width > small.width * 1.5
    assert abs(glyph_height(enlarged) - TARGET_GLYPH_HEIGHT) <= TARGET_GLYPH_HEIGHT * 0.35
    assert upscale_small_text(small, glyph_height(small)).size == enlarged.size  # a height measured before
    assert upscale_small_text(page) is page  # a 300-DPI render is left as it is


def test_tiny_print_is_enlarged_to_a_readable_size() -> None:
    # Several copies printed on one picture (a 4-up W-2 at 1200 pixels) give 5-px glyphs: 2.5x left them
    # at 12 px, which Tesseract reads as noise.
    page = _page()
    tiny = page.resize((page.width // 4, page.height // 4), Image.Resampling.LANCZOS)
    assert glyph_height(tiny) <= 6
    assert glyph_height(upscale_small_text(tiny)) >= TARGET_GLYPH_HEIGHT * 0.8


def test_box_borders_are_erased_and_the_text_inside_is_kept() -> None:
    image = Image.new("L", (1700, 1100), 255)  # a page at 200 DPI with one box of two cells
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 100, 1600, 400), outline=0, width=3)
    draw.line((850, 100, 850, 400), fill=0, width=3)
    for x in (140, 890):
        draw.text((x, 150), "Social security wages", fill=0, font_size=30)
        draw.text((x, 250), "35,139.68", fill=0, font_size=40)
    draw.rectangle((200, 600, 500, 614), fill=0)  # a blurred word binarised into one long blob
    before = np.asarray(image) < 128
    after = np.asarray(erase_rules(image)) < 128
    assert not after[:, 95:108].any() and not after[:, 845:858].any()  # left border, divider
    assert not after[95:108, :].any() and not after[395:408, :].any()  # top and bottom
    text = before[140:300, 130:840]
    assert after[140:300, 130:840].sum() >= 0.95 * text.sum() > 0
    assert after[600:615, 200:501].all()  # as tall as a glyph's stem: not a rule


def test_thin_runs_are_found_on_the_rows_that_can_hold_them_exactly_as_on_the_whole_page() -> None:
    # _thin_runs_along_rows skips rows and stacks bands of rows: it must give what the plain opening gives,
    # also for runs at the edges (the filters reflect there), thick bars, and blobs next to rules.
    rng = np.random.default_rng(7)
    for trial in range(100):
        height, width = rng.integers(20, 160, size=2)
        ink = (rng.random((height, width)) < rng.uniform(0.05, 0.5)).astype(np.uint8)
        for _ in range(rng.integers(0, 8)):  # rules and bars, some touching an edge
            top, thick_rows = rng.integers(0, height), rng.integers(1, 12)
            left = rng.integers(-20, width)
            ink[top : top + thick_rows, max(0, left) : left + rng.integers(10, 2 * width)] = 1
        length, thick = int(rng.integers(3, 60)), int(rng.integers(3, 12))
        runs = _runs(ink, length, axis=1)
        expected = (runs & ~_runs(runs, thick, axis=0)).astype(bool)
        rows, lines = _thin_runs_along_rows(ink, length, thick)
        found = np.zeros(ink.shape, dtype=bool)
        found[rows] = lines
        assert np.array_equal(found, expected), trial
        # Erasing dilates the lines by one pixel: on the bands alone, as on the page.
        grown = np.zeros(ink.shape, dtype=bool)
        grown[rows] = ndimage.maximum_filter(lines, size=3)
        assert np.array_equal(grown, ndimage.maximum_filter(expected, size=3)), trial
