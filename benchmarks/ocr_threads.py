"""Tesseract with one OpenMP thread against its default (all cores), side by side on the same pages.

    python benchmarks/ocr_threads.py [--rounds 3]

Each round OCRs the same prepared pages once per setting, alternating which goes first, so both
settings see the same machine load. Prints seconds per page for each and their ratio.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pytesseract  # noqa: E402
from PIL import Image  # noqa: E402

from ella_dagster import samples  # noqa: E402
from ella_dagster.domain.preprocess import prepare_for_ocr  # noqa: E402
from ella_dagster.engines.ocr import TESSERACT_CONFIG  # noqa: E402

SETTINGS = {"one thread (OMP_THREAD_LIMIT=1)": "1", "default (no limit)": None}


def ocr_all(paths: list[Path], limit: str | None) -> list[float]:
    previous = os.environ.pop("OMP_THREAD_LIMIT", None)
    if limit:
        os.environ["OMP_THREAD_LIMIT"] = limit
    try:
        seconds = []
        for path in paths:
            started = time.perf_counter()
            pytesseract.image_to_string(str(path), config=TESSERACT_CONFIG)
            seconds.append(time.perf_counter() - started)
        return seconds
    finally:
        os.environ.pop("OMP_THREAD_LIMIT", None)
        if previous is not None:
            os.environ["OMP_THREAD_LIMIT"] = previous


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(7)
    batch = [s for s in samples.every_type(rng, 2024) if s.mime_type.startswith("image/")][:12]
    batch += [samples.photo_like(s, rng) for s in batch[:6]]
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for number, sample in enumerate(batch):
            path = Path(tmp) / f"page{number}.png"
            prepare_for_ocr(Image.open(io.BytesIO(sample.data))).save(path)
            paths.append(path)
        times: dict[str, list[float]] = {name: [] for name in SETTINGS}
        for round_number in range(args.rounds):
            order = list(SETTINGS.items())
            if round_number % 2:
                order.reverse()
            for name, limit in order:
                times[name] += ocr_all(paths, limit)
    print(f"{len(paths)} pages x {args.rounds} rounds on {os.cpu_count()} cores")
    for name, seconds in times.items():
        print(f"  {name:34} p50 {statistics.median(seconds):.2f} s/page, mean {statistics.fmean(seconds):.2f}")
    one, default = (statistics.fmean(times[name]) for name in SETTINGS)
    print(f"ratio default / one thread: {default / one:.2f}x")


if __name__ == "__main__":
    main()
