"""Page preparation before OCR: flatten uneven light and straighten small skews.

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


def prepare_for_ocr(image: Image.Image) -> Image.Image:
    gray = flatten_illumination(ImageOps.grayscale(image))
    angle = estimate_skew(gray)
    if abs(angle) >= 0.5:
        gray = gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return gray
