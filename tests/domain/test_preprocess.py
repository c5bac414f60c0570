"""Page preparation: a photographed sheet is found and flattened, a skew is measured, clean pages pass."""

import io
import random

from PIL import Image, ImageOps

from ella_dagster import samples
from ella_dagster.domain.preprocess import crop_page, estimate_skew


def test_a_photographed_sheet_is_cropped_to_about_its_own_shape() -> None:
    for seed in range(4):
        rng = random.Random(seed)
        sample = samples.w2(rng, 2024)
        photo = ImageOps.grayscale(Image.open(io.BytesIO(samples.photo_like(sample, rng).data)))
        page = Image.open(io.BytesIO(sample.data))
        cropped = crop_page(photo)
        assert cropped.width < photo.width and cropped.height < photo.height
        assert abs(cropped.width / cropped.height - page.width / page.height) < 0.15


def test_a_clean_render_is_left_alone() -> None:
    clean = ImageOps.grayscale(Image.open(io.BytesIO(samples.w2(random.Random(1), 2024).data)))
    assert crop_page(clean) is clean


def test_skew_is_measured_within_a_degree() -> None:
    page = ImageOps.grayscale(Image.open(io.BytesIO(samples.w2(random.Random(2), 2024).data)))
    for angle in (-7.0, 4.0):
        tilted = page.rotate(angle, expand=True, fillcolor=255)
        assert abs(estimate_skew(tilted) + angle) <= 1.0
