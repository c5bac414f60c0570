"""What the uploads sensor costs as the archive grows: one tick with 1,000 new uploads among 10^5 and
10^6 documents already registered (rows in the database and keys of the `documents` partitions), side
by side; and what a batch run pays to resolve its partition range at each size (Dagster loads every key
of a dynamic partitions definition for that), which is why a closed season is archived
(`ella archive --season YEAR`).

    python benchmarks/scale.py [--sizes 100000,1000000] [--new 1000]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import tempfile
import time
import warnings
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import insert

console = Console(width=140)
CHUNK = 10_000


def seed_registered(db, instance, count: int, case_id: str) -> None:
    """`count` documents registered two days ago: rows and partition keys, no store objects (the
    sensor never reads them again)."""
    from ella_dagster.db.models import RawImage

    start = int((time.time() - 2 * 86400) * 1000)
    for first in range(0, count, CHUNK):
        ids = [f"{start + i:012x}{i:08x}" for i in range(first, min(count, first + CHUNK))]
        with db.transaction() as s:
            s.execute(
                insert(RawImage),
                [
                    {
                        "id": i,
                        "case_id": case_id,
                        "storage_key": f"cases/{case_id}/raw/{i}.png",
                        "original_key": f"cases/{case_id}/raw/{i}.png",
                        "original_filename": "old.png",
                        "mime_type": "image/png",
                        "file_size": 1,
                        "status": "LINKED",
                        "processed_at": dt.datetime(2025, 1, 1),
                    }
                    for i in ids
                ],
            )
        instance.add_dynamic_partitions("documents", ids)


def measure(size: int, new: int, work: Path) -> dict[str, float]:
    from dagster import SensorResult, build_sensor_context, instance_for_test, partition_loading_context
    from dagster._core.definitions.partitions.partition_key_range import PartitionKeyRange

    from ella_dagster.assets import documents_partitions
    from ella_dagster.config import current
    from ella_dagster.db.session import Database
    from ella_dagster.pipeline.intake import seed_demo
    from ella_dagster.resources import DatabaseResource, LocalDocumentStoreResource
    from ella_dagster.sensors import uploads
    from ella_dagster.store import LocalDocumentStore, new_upload_id
    from ella_dagster.store.base import marker_key

    folder = work / str(size)
    (folder / "home").mkdir(parents=True)
    db = Database(f"sqlite:///{folder / 'ella.db'}")
    db.migrate()
    case = seed_demo(db)
    store = LocalDocumentStore(folder / "store")
    with instance_for_test(temp_dir=str(folder / "home")) as instance:
        started = time.perf_counter()
        seed_registered(db, instance, size, case)
        seeded = time.perf_counter() - started
        # The cursor: the last marker written yesterday. Then two ticks, each with `new` uploads today:
        # the first reads cold pages after the seeding, the second is the steady state.
        cursor = json.dumps({"journal": marker_key("0" * 20, written=time.time() - 86400), "pending": []})
        sensor = uploads.build_uploads_sensor(dataclasses.replace(current(), sensor_max_per_tick=new))
        resources = {"db": DatabaseResource(url=db.url), "store": LocalDocumentStoreResource(root=str(store.root))}
        ticks = []
        for _ in range(2):
            ids = []
            for _ in range(new):
                upload_id = new_upload_id()
                key = f"cases/{case}/raw/{upload_id}.png"
                store.put(key, b"\x89PNG", {"case-id": case, "original-filename": "new.png", "mime-type": "image/png"})
                store.record_upload(upload_id, key)
                ids.append(upload_id)
            context = build_sensor_context(instance=instance, cursor=cursor, resources=resources)
            started = time.perf_counter()
            result = sensor(context)
            ticks.append(time.perf_counter() - started)
            assert isinstance(result, SensorResult) and len(result.run_requests) == new // 25 + (new % 25 > 0)
            cursor = result.cursor
        started = time.perf_counter()
        for request in result.dynamic_partitions_requests:  # what the daemon does with the result
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        add = time.perf_counter() - started
        started = time.perf_counter()
        with partition_loading_context(dynamic_partitions_store=instance):
            keys = documents_partitions.get_partition_keys_in_range(PartitionKeyRange(ids[0], ids[24]))
        resolve = time.perf_counter() - started
        assert len(keys) == 25
    return {
        "registered": size,
        "seed_seconds": seeded,
        "first_tick_seconds": ticks[0],
        "tick_seconds": ticks[1],
        "add_partitions_seconds": add,
        "resolve_range_seconds": resolve,
    }


def main() -> None:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000", help="documents already registered, comma-separated")
    parser.add_argument("--new", type=int, default=1000, help="new uploads in the tick (default 1000)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(size, args.new, Path(tmp)) for size in sizes]
    table = Table(title=f"uploads sensor: one tick with {args.new} new uploads (SQLite app database and instance)")
    for column in (
        "registered",
        "first tick s",
        "next tick s",
        "daemon adds partitions s",
        "batch run resolves range s",
    ):
        table.add_column(column)
    for row in rows:
        table.add_row(
            f"{row['registered']:,}",
            f"{row['first_tick_seconds']:.2f}",
            f"{row['tick_seconds']:.2f}",
            f"{row['add_partitions_seconds']:.2f}",
            f"{row['resolve_range_seconds']:.2f}",
        )
    console.print(table)
    if len(rows) > 1:
        console.print(
            f"tick time ratio {rows[-1]['registered']:,} / {rows[0]['registered']:,} registered: "
            f"{rows[-1]['tick_seconds'] / rows[0]['tick_seconds']:.2f}x"
        )
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "scale.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
