"""The Gemini path under its rate limit: N documents (default 60) through the real Dagster deployment
(daemon, sensor, queued runs) with the Gemini engine pointed at a stand-in server on 127.0.0.1 that
answers after a fixed latency (default 1 s) and enforces its own per-minute quota. Prints the request
rate the server saw against the limit, the 429s its quota returned, and documents per minute.

    python benchmarks/gemini_rate.py [-n 60] [--rpm 30] [--latency 1.0]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dagster import DagsterInstance  # noqa: E402
from dagster._core.instance.ref import InstanceRef  # noqa: E402
from rich.console import Console  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from ella_dagster import samples  # noqa: E402
from ella_dagster.daemon import start_daemon, stop, wait_until_processed  # noqa: E402
from ella_dagster.db.models import RawImage  # noqa: E402
from ella_dagster.db.session import Database  # noqa: E402
from ella_dagster.pipeline.intake import seed_demo, upload_files  # noqa: E402
from ella_dagster.store import LocalDocumentStore  # noqa: E402
from tests.support.gemini_standin import GeminiStandIn, prompt_text  # noqa: E402

console = Console(width=120)
BIN = Path(sys.executable).parent


def responder(model: str, request: dict) -> dict:
    if prompt_text(request).startswith("CLASSIFY"):
        return {"docType": "W2", "confidence": 0.92, "reasoning": "title visible", "taxYear": 2024, "source": "Acme"}
    return {
        "employer_ein": "12-3456789",
        "employee_ssn": "123-45-6789",
        "wages": "1000.00",
        "federal_tax_withheld": "100.00",
    }


def max_in_window(times: list[float], window: float) -> int:
    return max((sum(1 for t in times[i:] if t - start < window) for i, start in enumerate(times)), default=0)


def main() -> None:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=60)
    parser.add_argument("--rpm", type=int, default=30)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=6, help="concurrent runs and gemini pool slots (I/O-bound engine)")
    args = parser.parse_args()
    rng = random.Random(9)
    docs = [(f"w2_{i:03d}.png", samples.w2(rng, 2024).data) for i in range(args.n)]
    with (
        tempfile.TemporaryDirectory() as tmp,
        GeminiStandIn(responder=responder, latency=args.latency, quota_per_minute=args.rpm) as server,
    ):
        work = Path(tmp)
        env = {
            **os.environ,
            "ELLA_DATA_DIR": str(work / "data"),
            "DAGSTER_HOME": str(work / "home"),
            "ELLA_SENSOR_INTERVAL_SECONDS": "1",
            "GEMINI_API_KEY": "benchmark-key",
            "GEMINI_BASE_URL": server.url,
            "GEMINI_RPM": str(args.rpm),
            "GEMINI_FALLBACK_MODELS": "",
        }
        # A cloud engine waits on the network, not the CPU: more runs in flight than cores, as a
        # production dagster.yaml for the Gemini engine would set.
        (work / "home").mkdir()
        config = (ROOT / "dagster.yaml").read_text()
        config = config.replace("max_concurrent_runs: 2", f"max_concurrent_runs: {args.runs}")
        (work / "home" / "dagster.yaml").write_text(config.replace("default_limit: 2", f"default_limit: {args.runs}"))
        subprocess.run([str(BIN / "ella"), "init"], env=env, check=True, cwd=ROOT, capture_output=True)
        db, store = Database(f"sqlite:///{work / 'data' / 'ella.db'}"), LocalDocumentStore(work / "data" / "store")
        seed_demo(db)
        daemon = start_daemon(env)
        try:
            time.sleep(5)
            started = time.time()
            for start in range(0, len(docs), 20):
                upload_files(db, store, "case_demo", docs[start : start + 20])
            instance = DagsterInstance.from_ref(InstanceRef.from_dir(env["DAGSTER_HOME"]))
            if not wait_until_processed(db, instance, args.n, timeout=3600, daemon=daemon):
                raise TimeoutError(f"{args.n} documents did not finish in an hour")
            elapsed = time.time() - started
            with db.transaction() as s:
                failed = s.scalar(select(func.count()).where(RawImage.status == "FAILED"))
        finally:
            stop(daemon)
        times = sorted(server.generate_times())
    achieved = (len(times) - 1) / (times[-1] - times[0]) * 60 if len(times) > 1 else 0.0
    busiest = max_in_window(times, 60.0)
    result = {
        "documents": args.n,
        "limit_rpm": args.rpm,
        "server_latency_s": args.latency,
        "requests": len(times),
        "achieved_rpm": round(achieved, 2),
        "achieved_vs_limit": round(achieved / args.rpm, 3),
        "busiest_60s_window": busiest,
        "quota_429s": server.quota_rejections,
        "failed_documents": failed,
        "documents_per_minute": round(args.n / elapsed * 60, 2),
        "elapsed_s": round(elapsed, 1),
    }
    console.print(
        f"{args.n} documents, limit {args.rpm}/min, stand-in latency {args.latency:.1f} s, {args.runs} concurrent runs"
    )
    console.print(
        f"requests seen by the server: {len(times)}; achieved rate {achieved:.2f}/min = "
        f"{achieved / args.rpm:.1%} of the limit; busiest 60 s window {busiest}; "
        f"429s from the server quota: {server.quota_rejections}; failed documents: {failed}"
    )
    console.print(f"end to end: {result['documents_per_minute']:.2f} documents/min ({elapsed:.0f} s)")
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / "gemini_rate.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
