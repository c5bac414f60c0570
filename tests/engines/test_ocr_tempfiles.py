"""A page image carries the client's SSN: OCR must leave no copy of it on disk, not even when killed."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from ella_dagster import samples
from ella_dagster.engines import ocr

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="watches processes through /proc")


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system temp directory as this process and its children see it (tempfile and TMPDIR)."""
    path = tmp_path / "tmp"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    monkeypatch.setenv("TMPDIR", str(path))
    return path


def test_no_file_appears_in_the_temp_dir_while_a_page_is_read(temp_dir: Path) -> None:
    seen: dict[str, int] = {}  # name -> permission bits
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for entry in os.scandir(temp_dir):
                try:
                    seen[entry.name] = stat.S_IMODE(entry.stat().st_mode)
                except FileNotFoundError:  # removed between listing and stat
                    seen.setdefault(entry.name, 0)
            time.sleep(0.002)

    sample = samples.w2(random.Random(31), 2024)
    ocr._sheets.cache_clear()
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        [page] = ocr.page_texts(sample.data, sample.mime_type)
    finally:
        done.set()
        watcher.join()
    assert "Wage and Tax Statement" in page.text
    readable = {name: oct(mode) for name, mode in seen.items() if mode & stat.S_IROTH}
    assert not readable, f"readable by everyone while OCR ran: {readable}"
    assert not seen, f"written to the temp dir while OCR ran: {sorted(seen)}"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if int(fields[1]) == pid:  # fields after the name: state, ppid, ...
                found.append(int(entry.name))
    return found


CHILD = textwrap.dedent(
    """
    import random
    from ella_dagster import samples
    from ella_dagster.engines import ocr

    sample = samples.w2(random.Random(32), 2024)
    while True:  # Tesseract is running most of the time: the kill lands during a reading
        ocr._sheets.cache_clear()
        ocr.page_texts(sample.data, sample.mime_type)
    """
)


def test_a_run_killed_during_ocr_leaves_no_page_image_behind(temp_dir: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD], env={**os.environ, "TMPDIR": str(temp_dir)})
    tesseract: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not tesseract and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
            tesseract = _children(child.pid)
        assert tesseract, "Tesseract never started"
        time.sleep(0.2)  # well into the reading
        child.send_signal(signal.SIGKILL)  # what the OOM killer or a crashed run does
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        for pid in tesseract:  # orphaned by the kill: it is ours, end it too
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    left = sorted(p.name for p in temp_dir.iterdir())
    assert not left, f"left on disk after the kill: {left}"
