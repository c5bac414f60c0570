"""The soak benchmark's code location: the project's own Definitions, with an engine that fails
transiently, once, for a deterministic share of the documents (benchmarks/soak.py loads it through a
workspace.yaml of its own; nothing else does).

A document is picked by the sha256 of its bytes, so every run process and every retry agrees on it. The
first call of the picked engine method raises; the attempt is remembered as a file created with O_EXCL
in ELLA_SOAK_FAULT_DIR (shared by all run processes), so the retry — in the same run or another — gets
the real answer. The files left in that folder are the count of errors raised.

    ELLA_SOAK_FAULT_DIR            folder for the attempt files (required to inject anything)
    ELLA_SOAK_ENGINE_FAULT_PERMILLE  documents out of 1000 that get one transient error (default 50)
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ella_dagster.config import Settings  # noqa: E402
from ella_dagster.domain.errors import TransientDocumentError  # noqa: E402
from ella_dagster.resources import EngineResource  # noqa: E402

FAULT_DIR_ENV = "ELLA_SOAK_FAULT_DIR"
PERMILLE_ENV = "ELLA_SOAK_ENGINE_FAULT_PERMILLE"


def planned_fault(data: bytes, permille: int) -> tuple[str, type[Exception]] | None:
    """(engine method, error class) for a document picked to fail once, else None. Also used by the
    benchmark to know which documents should see an engine error."""
    digest = hashlib.sha256(data).digest()
    if int.from_bytes(digest[:4], "big") % 1000 >= permille:
        return None
    method = "classify" if digest[4] % 3 else "extract"  # extract runs only for OCR-eligible types
    error = (TimeoutError, TransientDocumentError, ConnectionResetError)[digest[5] % 3]
    return method, error


class FaultyEngine:
    """The configured engine; the first `method` call for a picked document raises `error`."""

    def __init__(self, inner, fault_dir: Path, permille: int) -> None:
        self.inner, self.fault_dir, self.permille = inner, fault_dir, permille
        self.name, self.version = inner.name, inner.version

    def _maybe_fail(self, method: str, data: bytes) -> None:
        plan = planned_fault(data, self.permille)
        if plan is None or plan[0] != method:
            return
        marker = self.fault_dir / f"{hashlib.sha256(data).hexdigest()}.{method}"
        try:
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            return  # the first attempt already failed: this one gets the real answer
        raise plan[1](f"soak: injected transient engine error ({method})")

    def classify(self, data: bytes, mime_type: str):
        self._maybe_fail("classify", data)
        return self.inner.classify(data, mime_type)

    def extract(self, data: bytes, mime_type: str, doc_type):
        self._maybe_fail("extract", data)
        return self.inner.extract(data, mime_type, doc_type)

    def can_extract(self, doc_type) -> bool:
        return self.inner.can_extract(doc_type)


class FaultyEngineResource(EngineResource):
    fault_dir: str
    permille: int = 50

    def get_engine(self):
        inner = super().get_engine()
        if not self.fault_dir or self.permille <= 0:
            return inner
        Path(self.fault_dir).mkdir(parents=True, exist_ok=True)
        return FaultyEngine(inner, Path(self.fault_dir), self.permille)


def _definitions():
    from ella_dagster.definitions import build_definitions
    from ella_dagster.resources import engine_resource

    settings = Settings.from_env()
    # The engine the settings build, with faults injected in front of it.
    engine = FaultyEngineResource(
        **engine_resource(settings).model_dump(),
        fault_dir=os.environ.get(FAULT_DIR_ENV, ""),
        permille=int(os.environ.get(PERMILLE_ENV, "50")),
    )
    return build_definitions(settings, {"engine": engine})


defs = _definitions()
