"""A warm Tesseract: one child process that keeps the English model loaded (tesserocr) and reads pages
sent over its pipes.

Starting the `tesseract` command loads the model and decodes a PNG for every call: ~0.15 s of each cell
or title read and ~0.5 s of a page's (benchmarks/ocr_worker.py). A child process rather than tesserocr in
the run's own process, because a page Tesseract crashes on or hangs on must fail that document only: the
child is killed and started again, and the run goes on.

Protocol, one request at a time: a JSON line {"psm": int, "width": int, "height": int} and then
width * height bytes of 8-bit grey pixels on the child's stdin; one JSON line back, {"tsv": str} or
{"error": str}. Pixels and text only travel through the pipes: nothing is written to disk.

This file runs as a script (`python tesseract_worker.py TESSDATA`): it imports nothing of the package.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import re
import select
import subprocess
import sys
import threading
import time

TSV_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"


def serve(tessdata: str) -> None:
    import tesserocr

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    with tesserocr.PyTessBaseAPI(path=tessdata, lang="eng") as api:
        stdout.write(b'{"ready": true}\n')
        stdout.flush()
        while header := stdin.readline():
            request = json.loads(header)
            width, height = int(request["width"]), int(request["height"])
            pixels = stdin.read(width * height)
            if len(pixels) != width * height:
                return  # the parent went away mid-request
            try:
                api.SetPageSegMode(int(request["psm"]))
                api.SetImageBytes(pixels, width, height, 1, width)
                reply = {"tsv": TSV_HEADER + (api.GetTSVText(0) or "")}
            except RuntimeError as exc:  # tesserocr's answer to a page it cannot read
                reply = {"error": str(exc)[:200]}
            api.Clear()
            stdout.write(json.dumps(reply).encode() + b"\n")
            stdout.flush()


class WorkerError(Exception):
    """The worker refused the page or died on it (`status`: its exit status, 0 for a refusal)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def tessdata_dir(command: str = "tesseract") -> str | None:
    """Where the installed Tesseract keeps its models ("List of available languages in "...""), or None."""
    if os.environ.get("TESSDATA_PREFIX"):
        return os.environ["TESSDATA_PREFIX"]
    try:
        listed = subprocess.run([command, "--list-langs"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'languages in "([^"]+)"', listed.stdout + listed.stderr)
    has_eng = found is not None and re.search(r"^eng$", listed.stdout, re.MULTILINE) is not None
    return found.group(1) if has_eng else None


class WarmTesseract:
    """The parent's end: starts the child on first use and again after it died or was killed."""

    def __init__(self, tessdata: str) -> None:
        self.tessdata = tessdata
        self._child: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        atexit.register(self.stop)  # an idle child ends when its stdin closes; this also ends a busy one

    def _start(self, timeout: float) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), self.tessdata],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # Tesseract's notes ("Estimating resolution as ...")
        )
        self._child = child
        self._answer(child, time.monotonic() + timeout)
        return child

    def _answer(self, child: subprocess.Popen[bytes], deadline: float) -> dict:
        assert child.stdout is not None
        if not select.select([child.stdout], [], [], max(0.0, deadline - time.monotonic()))[0]:
            self.stop()
            raise TimeoutError("tesseract worker did not answer in time")
        line = child.stdout.readline()
        if not line:
            status = child.wait()
            self._child = None
            raise WorkerError(status or -1, "tesseract worker died")
        return json.loads(line)

    def tsv(self, pixels: bytes, width: int, height: int, psm: int, timeout: float) -> str:
        """Tesseract's TSV (with its header line) for 8-bit grey `pixels`. Raises TimeoutError (the
        child is killed) and WorkerError."""
        deadline = time.monotonic() + timeout
        with self._lock:
            child = self._child if self._child is not None and self._child.poll() is None else None
            child = child or self._start(timeout)
            assert child.stdin is not None
            try:
                child.stdin.write(json.dumps({"psm": psm, "width": width, "height": height}).encode() + b"\n")
                child.stdin.write(pixels)
                child.stdin.flush()
            except BrokenPipeError:
                self._child = None
                raise WorkerError(child.wait() or -1, "tesseract worker died") from None
            reply = self._answer(child, deadline)
        if "error" in reply:
            raise WorkerError(0, reply["error"])
        return reply["tsv"]

    def stop(self) -> None:
        child, self._child = self._child, None
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()


def available() -> bool:
    return importlib.util.find_spec("tesserocr") is not None


if __name__ == "__main__":
    serve(sys.argv[1])
