"""The shared corpus of real public documents (read in place, never copied into the project)."""

from __future__ import annotations

import os
from pathlib import Path

from ella_dagster.config import PROJECT_ROOT

# Folders that are not classes of their own count as OTHER.
AS_OTHER = {"FORM_W9", "FORM_1040", "OTHER"}
DOCUMENT_SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp"}


def real_corpus_dir() -> Path | None:
    path = Path(os.environ.get("ELLA_REAL_CORPUS", PROJECT_ROOT.parent / "shared" / "corpus" / "real"))
    return path if path.is_dir() else None


def real_documents(folders: list[str] | None = None) -> list[tuple[str, Path]]:
    """(label folder, file) pairs, sorted; empty when the corpus is not on this machine."""
    root = real_corpus_dir()
    if root is None:
        return []
    chosen = folders or sorted(p.name for p in root.iterdir() if p.is_dir())
    return [
        (folder, path)
        for folder in chosen
        if (root / folder).is_dir()
        for path in sorted((root / folder).iterdir())
        if path.suffix.lower() in DOCUMENT_SUFFIXES
    ]
