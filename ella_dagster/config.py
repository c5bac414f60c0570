"""Settings from the environment. With nothing set, everything runs embedded on this machine."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    store: str  # "local" | "s3"
    store_root: Path
    s3_bucket: str
    s3_endpoint_url: str | None
    s3_region: str
    engine: str
    engine_revision: str  # bump to mark every classification out of date (shown as code version)
    sensor_interval_seconds: int
    sensor_max_per_tick: int
    batch_size: int  # documents per run
    batch_max_wait_seconds: float  # a partial batch waits at most this long while runs are busy
    journal_overlap_seconds: float  # how late a journal marker may become visible and still be seen

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("ELLA_DATA_DIR", PROJECT_ROOT / "data")).resolve()
        return cls(
            data_dir=data_dir,
            database_url=os.environ.get("ELLA_DATABASE_URL") or f"sqlite:///{data_dir / 'ella.db'}",
            store=os.environ.get("ELLA_STORE", "local"),
            store_root=Path(os.environ.get("ELLA_STORE_ROOT", data_dir / "store")),
            s3_bucket=os.environ.get("ELLA_S3_BUCKET", "ella-documents"),
            s3_endpoint_url=os.environ.get("ELLA_S3_ENDPOINT_URL") or None,
            s3_region=os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "auto")),
            # GEMINI_API_KEY set -> Gemini; otherwise the offline engine. ELLA_ENGINE overrides.
            engine=os.environ.get("ELLA_ENGINE") or ("gemini" if os.environ.get("GEMINI_API_KEY") else "offline"),
            engine_revision=os.environ.get("ELLA_ENGINE_REVISION", ""),
            sensor_interval_seconds=int(os.environ.get("ELLA_SENSOR_INTERVAL_SECONDS", "2")),
            sensor_max_per_tick=int(os.environ.get("ELLA_SENSOR_MAX_PER_TICK", "100")),
            batch_size=int(os.environ.get("ELLA_BATCH_SIZE", "25")),
            batch_max_wait_seconds=float(os.environ.get("ELLA_BATCH_MAX_WAIT_SECONDS", "4")),
            journal_overlap_seconds=float(os.environ.get("ELLA_JOURNAL_OVERLAP_SECONDS", "300")),
        )
