"""The warm Tesseract worker: reads like the command, and a crash or a hang costs one page, not the run."""

import io
import random
import threading

import pytest
from PIL import Image

from ella_dagster import samples
from ella_dagster.domain.preprocess import prepare_for_ocr
from ella_dagster.engines import ocr, tesseract_worker
from ella_dagster.engines.tesseract_worker import WarmTesseract, WorkerError


def _words(tsv: str) -> list[str]:
    return [row.split("\t")[-1] for row in tsv.splitlines()[1:] if row.startswith("5\t") and row.split("\t")[-1]]


@pytest.fixture(scope="module")
def page() -> Image.Image:
    sample = samples.w2(random.Random(4), 2024)
    return prepare_for_ocr(Image.open(io.BytesIO(sample.data)))


@pytest.fixture
def worker():
    tessdata = tesseract_worker.tessdata_dir()
    assert tessdata, "Tesseract's English model is not installed (make system-deps)"
    warm = WarmTesseract(tessdata)
    yield warm
    warm.stop()


def test_the_engine_reads_with_the_warm_worker() -> None:
    # tesserocr is a dependency: without it every cell re-read would start the tesseract command.
    assert ocr._warm() is not None
    assert ocr.tesseract_version()[0].isdigit()


def test_the_worker_reads_a_page_as_the_command_does(page: Image.Image, worker: WarmTesseract) -> None:
    warm = _words(worker.tsv(page.tobytes(), page.width, page.height, 3, 60))
    command = _words(ocr._tesseract(page, "--psm", "3", "tsv"))
    shared = sum(min(warm.count(w), command.count(w)) for w in set(warm))
    assert len(warm) > 40 and shared >= 0.9 * max(len(warm), len(command))
    assert worker.tsv(page.tobytes(), page.width, page.height, 3, 60).splitlines()[0] == (
        tesseract_worker.TSV_HEADER.strip()
    )


def test_a_worker_that_dies_mid_page_fails_that_page_and_starts_again(page: Image.Image, worker: WarmTesseract) -> None:
    worker.tsv(b"\xff" * 64 * 16, 64, 16, 7, 60)  # started
    child = worker._child
    assert child is not None
    threading.Timer(0.1, child.kill).start()  # a page that crashes Tesseract
    with pytest.raises(WorkerError, match="died"):
        worker.tsv(page.tobytes(), page.width, page.height, 3, 60)
    assert "Wage" in " ".join(_words(worker.tsv(page.tobytes(), page.width, page.height, 3, 60)))
    assert worker._child is not child


def test_a_page_that_hangs_is_killed_and_the_next_is_read(page: Image.Image, worker: WarmTesseract) -> None:
    worker.tsv(b"\xff" * 64 * 16, 64, 16, 7, 60)
    child = worker._child
    with pytest.raises(TimeoutError):
        worker.tsv(page.tobytes(), page.width, page.height, 3, 0.05)
    assert child is not None and child.poll() is not None  # killed, not left reading
    assert len(_words(worker.tsv(page.tobytes(), page.width, page.height, 3, 60))) > 40
