"""A code location for daemon tests: the real definitions, with an engine whose first classification of
a file named `flaky*` fails as a timeout would. Attempts are counted in a file next to the database,
so the real run processes (one per batch) share them."""

from __future__ import annotations

import json
from pathlib import Path

from ella_dagster.config import Settings
from ella_dagster.definitions import build_definitions
from ella_dagster.engines import engine_for
from ella_dagster.resources import EngineResource


class FlakyEngine:
    def __init__(self, inner, attempts_file: Path) -> None:
        self.inner, self.attempts_file = inner, attempts_file
        self.name, self.version = inner.name, inner.version

    def classify(self, data: bytes, mime_type: str):
        result = self.inner.classify(data, mime_type)
        if b"FLAKY" not in data[-64:]:
            return result
        attempts = json.loads(self.attempts_file.read_text()) if self.attempts_file.exists() else 0
        self.attempts_file.write_text(json.dumps(attempts + 1))
        if attempts == 0:
            raise TimeoutError("the engine did not answer in time")
        return result

    def extract(self, data: bytes, mime_type: str, doc_type):
        return self.inner.extract(data, mime_type, doc_type)

    def can_extract(self, doc_type) -> bool:
        return self.inner.can_extract(doc_type)


class FlakyEngineResource(EngineResource):
    attempts_file: str

    def get_engine(self):
        return FlakyEngine(engine_for(self.kind, self.revision), Path(self.attempts_file))


settings = Settings.from_env()
defs = build_definitions(
    settings,
    {
        "engine": FlakyEngineResource(
            kind=settings.engine,
            revision=settings.engine_revision,
            attempts_file=str(settings.data_dir / "flaky_attempts.json"),
        )
    },
)
