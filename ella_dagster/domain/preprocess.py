"""Page preparation before OCR: crop a photographed sheet flat, flatten uneven light, straighten skew.

Tesseract fails silently on both (at 8 degrees it recovers almost nothing while its confidence stays
high), so a photographed page is normalised first. Clean renders pass through almost unchanged.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter, ImageOps

WORK_WIDTH = 1000  # the skew search runs on a reduced copy
MAX_SKEW = 10.0


def flatten_illumination(gray: Image.Image) -> Image.Image:
    """Divides by a blurred copy (the estimated background): shadows and gradients become white paper."""
    radius = max(8, min(gray.size) // 30)
    background = np.asarray(gray.filter(ImageFilter.GaussianBlur(radius)), dtype=np.float32) + 1.0
    pixels = np.asarray(gray, dtype=np.float32) + 1.0
    flat = np.clip(pixels / background * 255.0, 0, 255).astype(np.uint8)
    return ImageOps.autocontrast(Image.fromarray(flat), cutoff=1)


def _profile_score(binary: np.ndarray) -> float:
    rows = binary.sum(axis=1, dtype=np.float64)
    return float(np.square(np.diff(rows)).sum())


def estimate_skew(gray: Image.Image) -> float:
    """The rotation (degrees) that makes text lines horizontal: sharpest row-sum profile, coarse to fine."""
    scale = WORK_WIDTH / max(gray.width, 1)
    small = gray.resize((WORK_WIDTH, max(1, int(gray.height * scale)))) if scale < 1 else gray
    ink = Image.fromarray(((np.asarray(small) < 128) * 255).astype(np.uint8))

    def score(angle: float) -> float:
        rotated = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)) > 0
        return _profile_score(rotated)

    best = max(np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 1.0), key=score)
    best = max(np.arange(best - 1.0, best + 1.01, 0.2), key=score)
    return float(round(best, 1))


def _otsu(values: np.ndarray) -> float:
    histogram = np.bincount(values.ravel(), minlength=256).astype(np.float64)
    weights = np.cumsum(histogram)
    means = np.cumsum(histogram * np.arange(256))
    total, grand = weights[-1], means[-1]
    between = (grand * weights - total * means) ** 2 / np.maximum(weights * (total - weights), 1e-9)
    return float(np.argmax(between))


def crop_page(gray: Image.Image) -> Image.Image:
    """A photographed sheet on a darker surface, warped flat from its four extreme corners. Left as it
    is when no such sheet stands out (a scan or a render is all paper)."""
    scale = WORK_WIDTH / max(gray.width, 1)
    small = np.asarray(gray.resize((WORK_WIDTH, max(1, int(gray.height * scale)))) if scale < 1 else gray)
    paper = small > _otsu(small)
    share = paper.mean()
    if not 0.25 <= share <= 0.92:
        return gray
    ys, xs = np.nonzero(paper)
    corners = [(xs[i], ys[i]) for i in (np.argmin(xs + ys), np.argmin(ys - xs), np.argmax(xs + ys), np.argmax(ys - xs))]
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = [(x / min(scale, 1), y / min(scale, 1)) for x, y in corners]
    width = int(max(np.hypot(x1 - x0, y1 - y0), np.hypot(x2 - x3, y2 - y3)))
    height = int(max(np.hypot(x3 - x0, y3 - y0), np.hypot(x2 - x1, y2 - y1)))
    if width < gray.width * 0.4 or height < gray.height * 0.4:
        return gray
    # QUAD takes upper-left, lower-left, lower-right, upper-right.
    quad = (x0, y0, x3, y3, x2, y2, x1, y1)
    return gray.transform((width, height), Image.Transform.QUAD, quad, Image.Resampling.BICUBIC, fillcolor=255)


def prepare_for_ocr(image: Image.Image) -> Image.Image:
    gray = flatten_illumination(crop_page(ImageOps.grayscale(image)))
    angle = estimate_skew(gray)
    if abs(angle) >= 0.5:
        gray = gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return gray
