"""Soak: N uploads (good and bad files) through the real dagster-daemon while real faults are injected,
then an audit that every accepted upload ended in exactly one terminal state, once, on its own bytes.

    python benchmarks/soak.py [-n 1000] [--backend sqlite|postgres|both] [--no-kill-runs] [--no-kill-daemon]
                              [--no-db-faults] [--no-slow-writes] [--no-s3-errors] [--no-engine-errors]
                              [--daemon-kill process|group] [--max-runtime-seconds S] [--keep]

Backends: `sqlite` is the embedded default (SQLite app database, local folder store, SQLite Dagster instance);
`postgres` is a fresh database on the local server (127.0.0.1:5432, user postgres) with the S3 store on a moto
server on loopback, reached through a small proxy of this script's that answers 500 for a few seconds now and
then; there `ella init` also puts the Dagster instance on PostgreSQL (<appdb>_dagster) and the compute logs in
the bucket (through the same proxy). Each backend gets a fresh ELLA_DATA_DIR and DAGSTER_HOME (initialised
with `ella init` before any concurrent process) in a temporary folder, removed afterwards with its databases
unless --keep or the goal was missed.

Faults, all real processes, signals, locks and HTTP errors (none is a mock inside the daemon or a run):
kill -9 of run worker processes; kill -9 of the daemon process, then a restart; a database lock
(SQLite: `BEGIN EXCLUSIVE` held from another connection, once longer than the busy timeout; PostgreSQL: a
server restart); slow store writes (the uploader's store sleeps before writing some objects and markers,
so later uploads overtake them); S3 500s (the proxy); transient engine errors (benchmarks/soak_location.py,
the project's Definitions with an engine that fails once for ~5 % of documents). Faults fire at fixed
fractions of N processed, so they land inside the soak however fast the machine is.

Prints a table and writes benchmarks/results/soak_{backend}_n{N}.json; exit status 1 when anything was lost,
duplicated, stuck or overwritten. Not part of `make test`; one soak at a time (2 shared cores).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import hashlib
import http.client
import io
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
import psycopg  # noqa: E402
from PIL import Image  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from ella_dagster import samples  # noqa: E402
from ella_dagster.config import PROJECT_ROOT  # noqa: E402
from ella_dagster.daemon import runs_in_flight, start_daemon, stop, wait_until_processed  # noqa: E402
from ella_dagster.db.models import Action, ChecklistItem, ClassificationResult, DigitalDoc, RawImage  # noqa: E402
from ella_dagster.db.session import Database  # noqa: E402
from ella_dagster.domain.status import TERMINAL  # noqa: E402
from ella_dagster.domain.uploads import MAX_BATCH  # noqa: E402
from ella_dagster.pipeline.intake import seed_demo, upload_files  # noqa: E402
from ella_dagster.store import DocumentStore, LocalDocumentStore, S3DocumentStore  # noqa: E402
from ella_dagster.store.base import JOURNAL_PREFIX, ObjectInfo, StoredObject, upload_id_of  # noqa: E402

console = Console(width=None if sys.stdout.isatty() else 140)
BIN = Path(sys.executable).parent
RESULTS = Path(__file__).with_name("results")
PG_ADMIN_DSN = os.environ.get("ELLA_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
BAD_KINDS = ("corrupt_png", "truncated_png", "lying_pdf", "huge_png")
# Processed fraction of N at which each fault fires.
RUN_KILLS_AT = (0.12, 0.33, 0.52, 0.71, 0.86)
DAEMON_KILLS_AT = (0.27, 0.62)
SQLITE_LOCKS_AT = ((0.08, 5.0), (0.22, 4.0), (0.40, 8.0), (0.47, 45.0), (0.66, 6.0), (0.80, 5.0))
PG_RESTART_AT = 0.45
S3_ERRORS_AT = ((0.04, 4.0), (0.18, 8.0), (0.36, 5.0), (0.55, 10.0), (0.74, 6.0), (0.90, 4.0))


def log(message: str) -> None:
    console.log(message)


# -- documents ------------------------------------------------------------------------------------
@dataclasses.dataclass
class Doc:
    index: int
    kind: str
    filename: str
    data: bytes
    slow: tuple[float, float] = (0.0, 0.0)  # seconds the uploader's store sleeps before the object, the marker
    copy_of: int | None = None  # an earlier document with the same bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def lying_pdf(rng: random.Random) -> bytes:
    """A well-formed PDF whose page tree claims more pages than it has (the second kid is no object)."""
    count = rng.randint(2, 6)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 5 0 R] /Count %d >>" % count,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length 0 >>\nstream\n\nendstream",
    ]
    out, offsets = b"%PDF-1.4\n%% soak " + str(rng.random()).encode() + b"\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def huge_png(rng: random.Random) -> bytes:
    """12000 x 12000 one-bit pixels (144 megapixels) in a few kilobytes."""
    image = Image.new("1", (12000, 12000))
    image.putpixel((rng.randrange(12000), rng.randrange(12000)), 1)  # each one its own bytes
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


MIX = (  # kind, share of the uploads
    ("form", 0.66),
    ("photo", 0.06),
    ("photo_of_earlier", 0.04),  # a photo of a paper uploaded before: near-duplicate (or linked when misread)
    ("pdf", 0.03),
    ("unknown_letter", 0.04),
    ("exact_duplicate", 0.03),  # the same bytes as an upload three batches or more before
    ("quick_duplicate", 0.02),  # the same bytes as an upload of the batch before (processed alongside)
    ("corrupt_png", 0.03),
    ("truncated_png", 0.03),
    ("lying_pdf", 0.03),
    ("huge_png", 0.03),
)


def make_documents(n: int, seed: int, slow_share: float) -> list[Doc]:
    rng = random.Random(seed)
    kinds = [kind for kind, share in MIX for _ in range(max(1, round(share * n)))]
    kinds = (kinds + ["form"] * n)[:n] if len(kinds) < n else kinds[:n]
    rng.shuffle(kinds)
    gap = min(3 * MAX_BATCH, max(5, n // 5))  # an original this far before its copy has the older id
    slow = set(rng.sample(range(n), min(n, max(2, round(slow_share * n))))) if slow_share else set()
    docs: list[Doc] = []
    forms: list[tuple[int, samples.Sample]] = []  # clean forms so far: (index, sample)
    for i, kind in enumerate(kinds):
        earlier = [(j, s) for j, s in forms if j <= i - gap]
        just_before = [(j, s) for j, s in forms if i - 2 * MAX_BATCH <= j <= i - 10]
        if (kind in ("exact_duplicate", "photo_of_earlier") and not earlier) or (
            kind == "quick_duplicate" and not just_before
        ):
            kind = "form"
        make = samples.GENERATORS[i % len(samples.GENERATORS)]
        if kind == "form":
            sample = make(rng, 2024)
            forms.append((i, sample))
            name, data = sample.filename, sample.data
        elif kind == "photo":
            sample = samples.photo_like(make(rng, 2024), rng)
            name, data = sample.filename, sample.data
        elif kind == "photo_of_earlier":
            sample = samples.photo_like(rng.choice(earlier)[1], rng)
            name, data = sample.filename, sample.data
        elif kind == "pdf":
            sample = samples.multipage_1099_int_pdf(rng, 2024)
            name, data = sample.filename, sample.data
        elif kind == "unknown_letter":
            sample = samples.unknown_letter(rng, 2024)
            name, data = sample.filename, sample.data
        elif kind in ("exact_duplicate", "quick_duplicate"):
            original = rng.choice(earlier if kind == "exact_duplicate" else just_before)[1]
            name, data = "again_" + original.filename, original.data
        elif kind == "corrupt_png":
            name, data = "broken_scan.png", samples.corrupt_png().data + rng.randbytes(16)
        elif kind == "truncated_png":
            whole = make(rng, 2024).data
            name, data = "cut_off.png", whole[: int(len(whole) * rng.uniform(0.3, 0.8))]
        elif kind == "lying_pdf":
            name, data = "statement.pdf", lying_pdf(rng)
        elif kind == "huge_png":
            name, data = "huge_scan.png", huge_png(rng)
        else:  # pragma: no cover
            raise ValueError(kind)
        delays = (rng.uniform(0.5, 6.0), rng.uniform(3.0, 12.0)) if i in slow else (0.0, 0.0)
        copy_of = next((d.index for d in docs if d.data == data), None)
        docs.append(Doc(i, kind, f"{i:05d}_{name}", data, delays, copy_of))
    return docs


def expected_outcome(doc: Doc, is_copy: bool) -> tuple[str, ...]:
    """`is_copy`: an upload with a smaller id holds the same bytes (it is the original; a generated
    letter may repeat itself, and two upload threads make id order differ from list order)."""
    kind = doc.kind
    if kind in BAD_KINDS:
        return ("FAILED",)
    if kind == "pdf":  # a 1099-INT and a CORRECTED one of another payer: two papers, split (issue 14)
        return ("SPLIT", "DUPLICATE")
    if is_copy:  # the first of the same bytes to be hashed is the original: a copy may be it
        return ("DUPLICATE", "UNCLASSIFIED") if kind == "unknown_letter" else ("DUPLICATE", "LINKED")
    if kind == "unknown_letter":
        return ("UNCLASSIFIED", "DUPLICATE")
    if kind == "photo_of_earlier":
        return ("DUPLICATE", "LINKED", "CLASSIFIED", "UNCLASSIFIED")
    return ("LINKED", "CLASSIFIED", "UNCLASSIFIED", "DUPLICATE")  # a misread photo may land low


# -- the uploader's store: slow writes, and what was really written ----------------------------------
class RecordingStore(DocumentStore):
    """The uploader's view of the store for one upload_files call: sleeps before the writes of slow
    documents (the object, then the journal marker, whose name is taken before the sleep), and records
    which objects and markers were written, so a call that raised halfway is still accounted for."""

    def __init__(self, inner: DocumentStore, docs_by_name: dict[str, Doc], enabled: bool) -> None:
        self.inner, self.docs_by_name, self.enabled = inner, docs_by_name, enabled
        self.objects: dict[str, Doc] = {}  # object key -> document
        self.journalled: dict[str, str] = {}  # upload id -> object key
        self.slept: set[int] = set()  # documents whose marker write was slowed

    def put(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        if key.startswith(JOURNAL_PREFIX):
            doc = self.objects.get(data.decode())
            if self.enabled and doc is not None and doc.slow[1]:
                time.sleep(doc.slow[1])
                self.slept.add(doc.index)
            self.inner.put(key, data, metadata)
            self.journalled[upload_id_of(key)] = data.decode()
            return
        doc = self.docs_by_name[(metadata or {})["original-filename"]]
        if self.enabled and doc.slow[0]:
            time.sleep(doc.slow[0])
        self.inner.put(key, data, metadata)
        self.objects[key] = doc

    def put_if_absent(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        self.inner.put_if_absent(key, data, metadata)

    def get(self, key: str) -> StoredObject:
        return self.inner.get(key)

    def stat(self, key: str) -> ObjectInfo:
        return self.inner.stat(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def copy(self, source: str, target: str) -> None:
        self.inner.copy(source, target)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def _list_markers(self, after: str | None, limit: int, until: str | None = None) -> list[str]:
        return self.inner.list_markers(after, limit, until)


@dataclasses.dataclass
class Accepted:
    doc: Doc
    key: str
    reported: bool  # returned by upload_files (False: journalled by a call that then raised)


class Uploader(threading.Thread):
    """Batches of up to 20 through upload_files (as `ella upload`), paced at `rate` documents a minute,
    from `workers` threads, so a slow batch is overtaken by the next one. A batch whose call raised is
    retried with the files that were not journalled."""

    def __init__(
        self,
        db: Database,
        store_factory: Callable[[], DocumentStore],
        case_id: str,
        docs: list[Doc],
        rate: float,
        slow: bool,
        workers: int,
        seed: int,
    ) -> None:
        super().__init__(name="uploader", daemon=True)
        self.db, self.store_factory, self.case_id, self.docs = db, store_factory, case_id, docs
        self.rate, self.slow, self.workers = rate, slow, workers
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.accepted: dict[str, Accepted] = {}
        self.rejected: list[tuple[Doc, str]] = []
        self.failed_calls: list[str] = []
        self.orphan_objects = 0  # written, never journalled (the call raised in between)
        self.slow_writes: set[int] = set()
        self.given_up: list[Doc] = []
        self.started_at = self.finished_at = 0.0

    def batches(self) -> list[list[Doc]]:
        out, i = [], 0
        while i < len(self.docs):
            size = self.rng.choice([MAX_BATCH, MAX_BATCH, self.rng.randint(1, MAX_BATCH)])
            out.append(self.docs[i : i + size])
            i += size
        return out

    def run(self) -> None:
        self.started_at = time.monotonic()
        batches, sent = self.batches(), 0
        schedule = []
        for batch in batches:
            schedule.append((self.started_at + sent / self.rate * 60, batch))
            sent += len(batch)
        with ThreadPoolExecutor(self.workers, thread_name_prefix="upload") as pool:
            list(pool.map(lambda item: self._send(*item), schedule))
        self.finished_at = time.monotonic()

    def _send(self, at: float, batch: list[Doc]) -> None:
        time.sleep(max(0.0, at - time.monotonic()))
        by_name = {d.filename: d for d in batch}
        todo = list(batch)
        for attempt in range(8):
            store = RecordingStore(self.store_factory(), by_name, self.slow)
            try:
                outcomes = upload_files(self.db, store, self.case_id, [(d.filename, d.data) for d in todo])
            except Exception as exc:  # noqa: BLE001 - what the portal would show; the rest is retried
                reason = f"{exc.__class__.__name__}: {str(exc)[:160]}"
                with self.lock:
                    self.failed_calls.append(reason)
                    self.slow_writes |= store.slept
                    for upload_id, key in store.journalled.items():
                        self.accepted[upload_id] = Accepted(store.objects[key], key, reported=False)
                    self.orphan_objects += len(set(store.objects) - set(store.journalled.values()))
                done = {store.objects[key].filename for key in store.journalled.values()}
                todo = [d for d in todo if d.filename not in done]
                log(f"[yellow]upload call failed ({reason}); {len(todo)} files of the batch retried[/yellow]")
                time.sleep(min(2**attempt, 20))
                if not todo:
                    return
                continue
            with self.lock:
                self.slow_writes |= store.slept
                for outcome in outcomes:
                    doc = by_name[outcome.filename]
                    if outcome.rejected:
                        self.rejected.append((doc, outcome.rejected))
                    else:
                        self.accepted[outcome.upload_id] = Accepted(doc, outcome.key, reported=True)
            return
        with self.lock:
            self.given_up += todo


# -- S3 through a proxy that fails on demand --------------------------------------------------------
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "expect", "content-length"}
S3_ERROR = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code>'
    b"<Message>We encountered an internal error. Please try again.</Message></Error>"
)


class FaultProxy:
    """HTTP on 127.0.0.1 in front of the S3 server: forwards every request, except during a failure
    window, when it answers 500 InternalError (as S3 does) without forwarding."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.fail_until = 0.0
        self.answered_500 = 0
        self.forwarded = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _handle(self) -> None:
                body = self._body()
                if time.monotonic() < proxy.fail_until:
                    with proxy.lock:
                        proxy.answered_500 += 1
                    self.send_response_only(500, "Internal Server Error")
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(S3_ERROR)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(S3_ERROR)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                if body or self.command in ("PUT", "POST"):
                    headers["Content-Length"] = str(len(body))
                for attempt in (1, 2):  # a kept-alive upstream connection may have gone stale
                    conn = http.client.HTTPConnection(*proxy.upstream, timeout=120)
                    try:
                        conn.request(self.command, self.path, body=body or None, headers=headers)
                        response = conn.getresponse()
                        data = response.read()
                        break
                    except (ConnectionError, http.client.HTTPException, OSError):
                        if attempt == 2:
                            raise
                    finally:
                        conn.close()
                with proxy.lock:
                    proxy.forwarded += 1
                self.send_response_only(response.status, response.reason)
                for name, value in response.getheaders():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                if self.command == "HEAD":
                    self.send_header("Content-Length", response.getheader("Content-Length", "0"))
                else:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client killed mid-request (a run worker, the daemon) resets its connection

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="s3-proxy", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def fail_for(self, seconds: float) -> None:
        self.fail_until = time.monotonic() + seconds

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(work: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    output = (work / "moto.log").open("ab")
    process = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("moto_server did not start")


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


# -- PostgreSQL -------------------------------------------------------------------------------------
def pg_cluster() -> str:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    return versions[-1] if versions else ""


def pg_answers() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3) as conn:
            conn.execute("select 1")
        return True
    except psycopg.Error:
        return False


def pg_restart() -> float:
    started = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", pg_cluster(), "main", "restart"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return time.monotonic() - started


def ensure_pg_running() -> None:
    """Whatever happened: the shared server answers again when this script is done."""
    if not pg_cluster():
        return
    for _ in range(30):
        if pg_answers():
            return
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", pg_cluster(), "main", "start"],
            capture_output=True,
            timeout=120,
        )
        time.sleep(2)
    console.print("[red]PostgreSQL does not answer on 127.0.0.1:5432 — start it by hand[/red]")


# -- processes of the deployment ---------------------------------------------------------------------
def _proc(pid: int) -> tuple[int, int, str, float] | None:
    """(ppid, pgid, command line, start time in seconds since boot) of a live process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        return None
    return int(fields[1]), int(fields[2]), cmdline, int(fields[19]) / os.sysconf("SC_CLK_TCK")


def processes_in_groups(pgids: set[int]) -> dict[int, tuple[int, int, str, float]]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (info := _proc(int(entry))) and info[1] in pgids:
            found[int(entry)] = info
    return found


# A run worker's compute-log `tail -F` children name its run: .../{run id}/compute_logs/{file}.out
RUN_LOG_PATH = re.compile(r"/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/compute_logs/")


def uptime() -> float:
    return float(Path("/proc/uptime").read_text().split()[0])


class Deployment:
    """The dagster-daemon (`ella_dagster.daemon.start_daemon`: own process group, output to a log) on
    the soak's workspace; kill -9 and restart; the run worker processes it started."""

    def __init__(self, env: dict[str, str], workspace: Path, log_path: Path) -> None:
        self.env, self.workspace, self.log_path = env, workspace, log_path
        self.lock = threading.RLock()
        self.process: subprocess.Popen[bytes] | None = None
        self.pgids: set[int] = set()  # every group this script started (orphaned code servers included)
        self.starts = 0

    def start(self) -> None:
        with self.lock:
            with self.log_path.open("ab") as output:
                output.write(f"\n===== soak: daemon start {self.starts + 1} at {dt.datetime.now()} =====\n".encode())
            self.process = start_daemon(self.env, self.log_path, self.workspace)
            self.pgids.add(self.process.pid)
            self.starts += 1

    def kill9(self, group: bool = False) -> int:
        """SIGKILL to the daemon process alone (its code server and runs are left as a crash of the daemon
        leaves them), or with `group` to its whole process group (daemon, code server, runs: a host crash)."""
        with self.lock:
            assert self.process is not None
            pid = self.process.pid
            if group:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
            self.process.wait()
            with self.log_path.open("ab") as output:
                output.write(f"\n===== soak: daemon {pid} killed with SIGKILL at {dt.datetime.now()} =====\n".encode())
            return pid

    def run_workers(self, min_age: float = 0.0) -> list[tuple[int, str | None]]:
        """(pid, run id) of live run worker processes: the multiprocessing children a `dagster api grpc`
        code server spawns for each run (the run id read from its compute-log `tail -F` children)."""
        procs = processes_in_groups(self.pgids)
        now = uptime()
        workers = []
        for pid, (ppid, _, cmdline, started) in procs.items():
            parent = procs.get(ppid)
            if (
                "spawn_main" in cmdline
                and "resource_tracker" not in cmdline
                and parent is not None
                and "dagster api grpc" in parent[2]
                and now - started >= min_age
            ):
                run_id = None
                for child in procs.values():
                    found = RUN_LOG_PATH.search(child[2])
                    if child[0] == pid and found:
                        run_id = found.group(1)
                workers.append((pid, run_id))
        return workers

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def shutdown(self) -> list[int]:
        """Stop the daemon cleanly (ella_dagster.daemon.stop), then end what is left of the groups this
        script started (code servers orphaned by a killed daemon), by process id."""
        with self.lock:
            if self.process is not None:
                stop(self.process)
        leftovers = []
        deadline = time.monotonic() + 30
        while (procs := processes_in_groups(self.pgids)) and time.monotonic() < deadline:
            time.sleep(1)
        for pid in processes_in_groups(self.pgids):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                leftovers.append(pid)
        del procs
        return leftovers


# -- faults -------------------------------------------------------------------------------------------
class Faults:
    """One thread per kind of fault, each firing when the processed share of N reaches its points."""

    def __init__(self, backend: str, args: argparse.Namespace, deployment: Deployment, db_path: Path | None) -> None:
        self.backend, self.args, self.deployment, self.db_path = backend, args, deployment, db_path
        self.proxy: FaultProxy | None = None
        self.progress = 0.0  # processed / N, set by the monitor
        self.stopping = threading.Event()
        self.counts: Counter[str] = Counter()
        self.events: list[dict[str, Any]] = []
        self.killed_runs: list[str] = []
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []

    def record(self, kind: str, **details: Any) -> None:
        with self.lock:
            self.counts[kind] += 1
            self.events.append({"fault": kind, "at_progress": round(self.progress, 3), "time": time.time(), **details})
        log(f"[magenta]fault[/magenta] {kind} {details} at {self.progress:.0%}")

    def _at(self, points: list[Any], fire: Callable[[Any], None]) -> None:
        for point in points:
            threshold = point[0] if isinstance(point, tuple) else point
            while self.progress < threshold and not self.stopping.wait(1):
                pass
            if self.stopping.is_set():
                return
            try:
                fire(point)
            except Exception as exc:  # noqa: BLE001 - a fault that could not be injected is reported, not fatal
                self.record("fault_error", error=f"{exc.__class__.__name__}: {exc}"[:200])

    def start(self) -> None:
        a = self.args
        plans: list[tuple[list[Any], Callable[[Any], None]]] = []
        if a.kill_runs:
            plans.append((list(RUN_KILLS_AT), self.kill_run))
        if a.kill_daemon:
            plans.append((list(DAEMON_KILLS_AT), self.kill_daemon))
        if a.db_faults and self.backend == "sqlite":
            plans.append((list(SQLITE_LOCKS_AT), self.sqlite_lock))
        if a.db_faults and self.backend == "postgres":
            plans.append(([PG_RESTART_AT], self.pg_restart))
        if a.s3_errors and self.proxy is not None:
            plans.append((list(S3_ERRORS_AT), self.s3_errors))
        for points, fire in plans:
            thread = threading.Thread(target=self._at, args=(points, fire), name=fire.__name__, daemon=True)
            thread.start()
            self.threads.append(thread)

    def done(self) -> bool:
        return not any(t.is_alive() for t in self.threads)

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def kill_run(self, _: Any) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not self.stopping.is_set():
            workers = [w for w in self.deployment.run_workers(min_age=8.0) if w[1]]
            if workers:
                pid, run_id = random.choice(workers)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                    self.killed_runs.append(run_id or "")
                    self.record("run_worker_killed", pid=pid, run_id=run_id)
                    return
            time.sleep(1)
        self.record("fault_skipped", what="no run worker alive to kill")

    def kill_daemon(self, _: Any) -> None:
        group = self.args.daemon_kill == "group"
        pid = self.deployment.kill9(group=group)
        down = random.uniform(3, 10)
        self.record("daemon_group_killed" if group else "daemon_killed", pid=pid, down_seconds=round(down, 1))
        self.stopping.wait(down)  # stopping early still restarts: the drain needs a daemon
        self.deployment.start()
        self.record("daemon_restarted", pid=self.deployment.process.pid if self.deployment.process else None)

    def sqlite_lock(self, point: tuple[float, float]) -> None:
        assert self.db_path is not None
        hold = point[1]
        conn = sqlite3.connect(self.db_path, timeout=120, isolation_level=None)
        try:
            asked = time.monotonic()
            conn.execute("BEGIN EXCLUSIVE")
            waited = time.monotonic() - asked
            time.sleep(hold)
            conn.execute("ROLLBACK")
        finally:
            conn.close()
        self.record("sqlite_exclusive_lock", held_seconds=hold, waited_for_lock_seconds=round(waited, 1))

    def pg_restart(self, _: Any) -> None:
        seconds = pg_restart()
        self.record("postgres_restarted", restart_seconds=round(seconds, 1))

    def s3_errors(self, point: tuple[float, float]) -> None:
        assert self.proxy is not None
        before = self.proxy.answered_500
        self.proxy.fail_for(point[1])
        time.sleep(point[1] + 0.5)
        self.record("s3_500_window", seconds=point[1], answered_500=self.proxy.answered_500 - before)


def checklist_overcount(db: Database) -> dict[str, tuple[int, int]]:
    """Checklist items whose received count differs from their LINKED documents: (received, linked)."""
    with db.transaction() as s:
        received = dict(s.execute(select(ChecklistItem.id, ChecklistItem.received_count)).all())
        linked = dict(
            s.execute(
                select(RawImage.checklist_item_id, func.count())
                .where(RawImage.status == "LINKED", RawImage.checklist_item_id.is_not(None))
                .group_by(RawImage.checklist_item_id)
            ).all()
        )
    return {item: (n, linked.get(item, 0)) for item, n in received.items() if n != linked.get(item, 0)}


# -- the audit -------------------------------------------------------------------------------------------
def audit(
    db: Database, store: DocumentStore, accepted: dict[str, Accepted], instance, killed_runs: list[str]
) -> dict[str, Any]:
    from dagster import DagsterRunStatus, RunsFilter

    with db.transaction() as s:
        rows = {r.id: r for r in s.scalars(select(RawImage))}
        digital = Counter(s.scalars(select(DigitalDoc.raw_image_id)))
        digital_status = dict(s.execute(select(DigitalDoc.raw_image_id, RawImage.status).join(RawImage)).all())
        open_actions = Counter(
            (a, t)
            for a, t in s.execute(select(Action.raw_image_id, Action.type).where(Action.is_completed.is_(False))).all()
        )
        items = {i.id: i.received_count for i in s.scalars(select(ChecklistItem))}
        counted = Counter(
            s.scalars(select(DigitalDoc.counted_in_item_id).where(DigitalDoc.counted_in_item_id.is_not(None)))
        )
        history = list(
            s.execute(
                select(
                    ClassificationResult.raw_image_id,
                    ClassificationResult.doc_type,
                    ClassificationResult.confidence,
                    ClassificationResult.engine_version,
                ).order_by(ClassificationResult.raw_image_id, ClassificationResult.id)
            ).all()
        )
    missing = sorted(set(accepted) - set(rows))
    unfinished = sorted(i for i in accepted if i in rows and rows[i].processed_at is None)
    not_terminal = sorted(
        i for i in accepted if i not in rows or rows[i].processed_at is None or rows[i].status not in TERMINAL
    )
    # The documents a split upload became (issue 14) are documents too: each must end terminal.
    split_out = sorted(i for i, r in rows.items() if i not in accepted and r.parent_id in accepted)
    not_terminal += [i for i in split_out if rows[i].processed_at is None or rows[i].status not in TERMINAL]
    extra_rows = sorted(set(rows) - set(accepted) - set(split_out))
    statuses = Counter(rows[i].status for i in accepted if i in rows)
    by_kind: dict[str, Counter[str]] = {}
    unexpected = []
    first_of_bytes: dict[str, str] = {}
    for upload_id in sorted(accepted):
        first_of_bytes.setdefault(accepted[upload_id].doc.sha256, upload_id)
    for upload_id, acc in accepted.items():
        status = rows[upload_id].status if upload_id in rows else "(no row)"
        by_kind.setdefault(acc.doc.kind, Counter())[status] += 1
        if upload_id in rows and status not in expected_outcome(acc.doc, first_of_bytes[acc.doc.sha256] != upload_id):
            unexpected.append(
                {
                    "upload_id": upload_id,
                    "kind": acc.doc.kind,
                    "status": status,
                    "error": (rows[upload_id].error_message or "")[:200],
                }
            )
    # Duplicates: more than one digital doc for an upload, or a digital doc of a document that is not LINKED;
    # more than one open action of a type; checklist counts that differ from the digital docs counted.
    duplicated_digital = sorted(i for i, c in digital.items() if c > 1)
    stray_digital = sorted(i for i, st in digital_status.items() if st != "LINKED")
    duplicate_actions = sorted(f"{a}:{t}" for (a, t), c in open_actions.items() if c > 1)
    checklist_mismatch = {i: (n, counted.get(i, 0)) for i, n in items.items() if n != counted.get(i, 0)}
    repeated_history = 0
    for previous, current in zip(history, history[1:], strict=False):
        if previous == current:  # same document, same answer twice in a row: a second history row
            repeated_history += 1
    # Overwritten: the object at each row's key holds the bytes uploaded for it.
    overwritten, objects_missing, checked = [], [], 0
    for upload_id, acc in accepted.items():
        row = rows.get(upload_id)
        if row is None:
            continue
        try:
            data = store.get(row.storage_key).data
        except FileNotFoundError:
            objects_missing.append({"upload_id": upload_id, "key": row.storage_key, "status": row.status})
            continue
        checked += 1
        if hashlib.sha256(data).hexdigest() != acc.doc.sha256:
            overwritten.append({"upload_id": upload_id, "key": row.storage_key, "status": row.status})
    renamed = sum(1 for i in accepted if i in rows and rows[i].storage_key != rows[i].original_key)
    # Every DUPLICATE: of the same bytes (exact) or of another paper judged the same (near), and of whom.
    by_sha = {a.doc.sha256: [] for a in accepted.values()}
    for upload_id, acc in accepted.items():
        by_sha[acc.doc.sha256].append(upload_id)
    duplicates = Counter()
    near_examples = []
    for upload_id, acc in accepted.items():
        row = rows.get(upload_id)
        if row is None or row.status != "DUPLICATE":
            continue
        exact = row.duplicate_of_id in by_sha[acc.doc.sha256]
        later = bool(row.duplicate_of_id and row.duplicate_of_id > upload_id)
        duplicates[("exact" if exact else "near") + (" of a later upload" if later else "")] += 1
        if not exact and len(near_examples) < 10:
            other = accepted.get(row.duplicate_of_id or "")
            near_examples.append(
                {
                    "upload_id": upload_id,
                    "kind": acc.doc.kind,
                    "of": row.duplicate_of_id,
                    "of_kind": other.doc.kind if other else None,
                }
            )
    # The same bytes uploaded more than once: at most one of the copies may become a document of its own.
    copies: dict[str, list[str]] = {}
    for upload_id, acc in accepted.items():
        copies.setdefault(acc.doc.sha256, []).append(upload_id)
    linked_twice = []
    for group in copies.values():
        kept = [i for i in sorted(group) if i in rows and rows[i].status in ("LINKED", "CLASSIFIED")]
        if len(group) > 1 and len(kept) > 1:
            linked_twice.append(
                [
                    {
                        "upload_id": i,
                        "kind": accepted[i].doc.kind,
                        "status": rows[i].status if i in rows else None,
                        "duplicate_of": rows[i].duplicate_of_id if i in rows else None,
                        "processed_at": str(rows[i].processed_at) if i in rows else None,
                        "digital_docs": digital.get(i, 0),
                    }
                    for i in sorted(group)
                ]
            )

    runs = {}
    for status in DagsterRunStatus:
        count = instance.get_runs_count(RunsFilter(statuses=[status]))
        if count:
            runs[status.value] = count
    records = instance.get_runs()
    retried = sum(1 for r in records if r.tags.get("dagster/parent_run_id"))
    redrives = sum(1 for r in records if r.tags.get("ella/command") == "redrive")
    killed = {}
    for run_id in killed_runs:
        run = instance.get_run_by_id(run_id) if run_id else None
        children = [r for r in records if r.tags.get("dagster/parent_run_id") == run_id]
        killed[run_id] = {
            "status": run.status.value if run else None,
            "retried_as": [(r.run_id, r.status.value) for r in children],
        }
    # Runs failed by the stuck sensor as silent ("its process is gone") that went on writing events after it.
    declared_dead = {}
    for record in records:
        if record.status != DagsterRunStatus.FAILURE:
            continue
        events = instance.get_records_for_run(record.run_id, limit=100_000).records
        failure = next(
            (
                n
                for n, e in enumerate(events)
                if e.event_log_entry.dagster_event_type
                and e.event_log_entry.dagster_event_type.value == "PIPELINE_FAILURE"
                and "process is gone" in (e.event_log_entry.message or "")
            ),
            None,
        )
        if failure is not None:
            after = [e.event_log_entry.dagster_event_type for e in events[failure + 1 :]]
            declared_dead[record.run_id] = {
                "events_after_declared_dead": len(after),
                "materializations_after": sum(1 for t in after if t and t.value == "ASSET_MATERIALIZATION"),
            }
    failed_reasons = Counter(
        f"{u['kind']} {u['status']}" + (f" ({re.sub(r'[0-9a-f]{20}', '<id>', u['error'][:80])})" if u["error"] else "")
        for u in unexpected
    )
    return {
        "rows": len(rows),
        "terminal_states": dict(sorted(statuses.items())),
        "lost": {"count": len(missing) + len(unfinished), "no_row": missing, "processed_at_null": unfinished},
        "stuck": {"count": len(not_terminal), "ids": not_terminal[:50]},
        "split_children": {"count": len(split_out), "states": dict(Counter(rows[i].status for i in split_out))},
        "duplicated": {
            "count": len(duplicated_digital) + len(extra_rows) + len(stray_digital) + len(duplicate_actions),
            "digital_docs_per_upload_gt_1": duplicated_digital,
            "rows_for_no_accepted_upload": extra_rows,
            "digital_doc_of_unlinked_document": stray_digital,
            "open_actions_twice": duplicate_actions,
            "checklist_count_mismatch": checklist_mismatch,  # received_count vs digital docs counted there
            "checklist_vs_linked": checklist_overcount(db),  # received_count vs LINKED documents
            "repeated_history_rows": repeated_history,
        },
        "duplicates": {"by_reason": dict(duplicates), "near_examples": near_examples},
        "copies_linked_twice": {"count": len(linked_twice), "groups": linked_twice[:20]},
        "overwritten": {"count": len(overwritten), "objects": overwritten[:50], "checked": checked},
        "objects_missing": {"count": len(objects_missing), "objects": objects_missing[:50]},
        "renamed": renamed,
        "by_kind": {k: dict(sorted(v.items())) for k, v in sorted(by_kind.items())},
        "unexpected_outcomes": {
            "count": len(unexpected),
            "reasons": dict(failed_reasons.most_common(10)),
            "examples": unexpected[:20],
        },
        "runs": runs,
        "runs_retried": retried,
        "runs_redrive": redrives,
        "killed_runs": killed,
        "runs_declared_dead": declared_dead,
    }


EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Failure|Timeout)): (.*)")
ELLA_FRAME = re.compile(r'File ".*?/(ella_dagster/[\w/]+\.py)", line (\d+), in (\w+)')


def _cause(lines: list[str], start: int) -> str:
    """The innermost exception of the traceback after line `start`, with the deepest project frame."""
    cause, frames = "", []
    for line in lines[start + 1 : start + 120]:
        if re.match(r"^(\x1b\[\d+m)?\d{4}-\d\d-\d\d ", line):
            break  # the next log record
        if (found := EXCEPTION_LINE.match(line.strip())) and "DagsterExecutionStepExecutionError" not in line:
            cause = f"{found.group(1).rsplit('.', 1)[-1]}: {found.group(2)}"
        if found := ELLA_FRAME.search(line):
            frames.append(f"{found.group(1)}:{found.group(2)} {found.group(3)}")
    outside_store = [f for f in frames if "/store/" not in f]
    frame = " <- ".join(dict.fromkeys([*frames[-1:], *outside_store[-1:]]))
    cause = re.sub(r"\b\d+ of \d+ documents failed.*", "N of M documents failed (per-document failures)", cause)
    return f"{cause[:150]}" + (f" [at {frame}]" if frame else "")


def scan_daemon_log(path: Path) -> dict[str, Any]:
    """What the daemon's output (daemon, code servers, runs) says: recoveries, and why steps and ticks failed."""
    text = path.read_text(errors="replace") if path.exists() else ""
    lines = text.splitlines()
    patterns = {
        "registration_paused": "not registered yet, retried next tick",
        "never_registrable": "can never be registered",
        "redrive": "re-driving document",
        "stage_retried": "; retrying",
        "code_server_no_heartbeat": "No heartbeat received",
        "sensor_tick_errors": "Sensor tick caught an error",
        "step_failures": "STEP_FAILURE",
        "database_locked": "database is locked",
        "runs_declared_dead": "its process is gone",
    }
    step_causes, tick_causes = Counter(), Counter()
    for number, line in enumerate(lines):
        if "STEP_FAILURE" in line:
            step_causes[_cause(lines, number)] += 1
        elif "Sensor tick caught an error" in line:
            tick_causes[_cause(lines, number)] += 1
    return {
        "counts": {name: text.count(pattern) for name, pattern in patterns.items()},
        "step_failure_causes": dict(step_causes.most_common(12)),
        "sensor_tick_error_causes": dict(tick_causes.most_common(8)),
    }


# -- one backend ------------------------------------------------------------------------------------------
def count_processed(db: Database) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).where(RawImage.processed_at.is_not(None))) or 0


def workspace_yaml(work: Path, engine_errors: bool) -> Path:
    if not engine_errors:
        return PROJECT_ROOT / "workspace.yaml"
    path = work / "workspace.yaml"
    path.write_text(
        "load_from:\n"
        "  - python_file:\n"
        f"      relative_path: {Path(__file__).with_name('soak_location.py')}\n"
        "      attribute: defs\n"
        "      location_name: ella_dagster\n"
        f"      working_directory: {PROJECT_ROOT}\n"
    )
    return path


def run_backend(backend: str, docs: list[Doc], args: argparse.Namespace) -> dict[str, Any]:
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    work = Path(tempfile.mkdtemp(prefix=f"ella-soak-{backend}-"))
    data_dir, home = work / "data", work / "dagster_home"
    env = {
        **os.environ,
        "ELLA_DATA_DIR": str(data_dir),
        "DAGSTER_HOME": str(home),
        "ELLA_ENGINE": "offline",
        "ELLA_STUCK_AFTER_MINUTES": str(args.stuck_after_minutes),
        "ELLA_SOAK_FAULT_DIR": str(work / "engine_faults"),
        "ELLA_SOAK_ENGINE_FAULT_PERMILLE": str(args.engine_fault_permille),
    }
    env.pop("GEMINI_API_KEY", None)
    console.rule(f"{backend}: {len(docs)} uploads, work folder {work}")
    result: dict[str, Any] = {"backend": backend, "n": len(docs), "work": str(work)}
    with contextlib.ExitStack() as stack:
        proxy = None
        pg_db = None
        if backend == "postgres":
            if not pg_answers():
                raise RuntimeError("PostgreSQL does not answer on 127.0.0.1:5432")
            pg_db = f"ella_soak_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{pg_db}"')
            moto, moto_port = start_moto(work)
            stack.callback(lambda: (moto.terminate(), moto.wait(30)))
            proxy = FaultProxy(("127.0.0.1", moto_port))
            stack.callback(proxy.close)
            bucket = f"ella-soak-{uuid.uuid4().hex[:8]}"
            s3_client(f"http://127.0.0.1:{moto_port}").create_bucket(Bucket=bucket)
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_db}"
            env.update(
                ELLA_DATABASE_URL=url,
                ELLA_STORE="s3",
                ELLA_S3_ENDPOINT_URL=proxy.url,
                ELLA_S3_BUCKET=bucket,
                AWS_ACCESS_KEY_ID="test",
                AWS_SECRET_ACCESS_KEY="test",
                AWS_DEFAULT_REGION="us-east-1",
                AWS_REGION="us-east-1",
            )
            upload_client = s3_client(proxy.url)
            store_factory: Callable[[], DocumentStore] = lambda: S3DocumentStore(upload_client, bucket)  # noqa: E731
            audit_store: DocumentStore = S3DocumentStore(s3_client(f"http://127.0.0.1:{moto_port}"), bucket)
            db_path = None
            result["s3"] = {"moto": f"127.0.0.1:{moto_port}", "proxy": proxy.url, "bucket": bucket}
        else:
            url = f"sqlite:///{data_dir / 'ella.db'}"
            local = LocalDocumentStore(data_dir / "store")
            store_factory = lambda: local  # noqa: E731
            audit_store = local
            db_path = data_dir / "ella.db"
        init = subprocess.run([str(BIN / "ella"), "init"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
        if init.returncode:
            raise RuntimeError(f"ella init failed: {init.stdout}{init.stderr}")
        if args.max_runtime_seconds:  # a setting of this instance only (the temporary DAGSTER_HOME)
            import yaml

            config_path = home / "dagster.yaml"
            config = yaml.safe_load(config_path.read_text())
            config.setdefault("run_monitoring", {})["max_runtime_seconds"] = args.max_runtime_seconds
            config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        db = Database(url)
        stack.callback(db.dispose)
        case_id = seed_demo(db)
        instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
        deployment = Deployment(env, workspace_yaml(work, args.engine_errors), work / "dagster-daemon.log")
        deployment.start()
        stack.callback(deployment.shutdown)  # on an error; a second call after the clean stop is harmless
        time.sleep(5)  # the daemon loads the code location
        faults = Faults(backend, args, deployment, db_path)
        faults.proxy = proxy
        uploader = Uploader(
            db, store_factory, case_id, docs, args.upload_rate, args.slow_writes, args.upload_workers, args.seed
        )
        started = time.monotonic()
        uploader.start()
        faults.start()
        n = len(docs)
        with Progress(
            TextColumn(f"{backend} processed"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("uploaded {task.fields[up]}"),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("soak", total=n, up=0)
            done = 0
            while True:
                with contextlib.suppress(Exception):  # the database may be restarting
                    done = count_processed(db)
                    faults.progress = done / n
                    bar.update(task, completed=done, up=len(uploader.accepted))
                if not uploader.is_alive() and (faults.done() or done >= len(uploader.accepted)):
                    break
                if time.monotonic() - started > args.drain_timeout:
                    break
                time.sleep(2)
            faults.stop()
            uploads_seconds = uploader.finished_at - uploader.started_at if uploader.finished_at else None
            ids = list(uploader.accepted)
            remaining = max(60.0, args.drain_timeout - (time.monotonic() - started))
            drained = wait_until_processed(
                db,
                instance,
                ids,
                timeout=remaining,
                daemon=deployment.process,
                on_progress=lambda d: bar.update(task, completed=d, up=len(ids)),
            )
        wall = time.monotonic() - started
        in_flight = runs_in_flight(instance)
        daemon_alive = deployment.alive()
        log(f"drained={drained} in {wall:.0f}s; runs in flight {in_flight}; stopping the daemon")
        result["leftover_processes_killed"] = deployment.shutdown()
        log("auditing")
        figures = audit(db, audit_store, uploader.accepted, instance, faults.killed_runs)
        engine_faults = len(os.listdir(work / "engine_faults")) if (work / "engine_faults").exists() else 0
        faults_summary = dict(faults.counts)
        faults_summary["slow_uploads"] = len(uploader.slow_writes)
        faults_summary["engine_transient_errors"] = engine_faults
        if proxy is not None:
            faults_summary["s3_500_responses"] = proxy.answered_500
            result["s3"]["forwarded"] = proxy.forwarded
    result.update(
        drained=drained,
        daemon_alive_at_end=daemon_alive,
        runs_in_flight_at_drain_end=in_flight,
        wall_seconds=round(wall, 1),
        upload_seconds=round(uploads_seconds, 1) if uploads_seconds else None,
        docs_per_minute=round(len(ids) / wall * 60, 1),
        uploads={
            "planned": len(docs),
            "accepted": len(uploader.accepted),
            "accepted_unreported": sum(1 for a in uploader.accepted.values() if not a.reported),
            "rejected": [(d.kind, reason) for d, reason in uploader.rejected],
            "failed_upload_calls": len(uploader.failed_calls),
            "failed_upload_call_reasons": dict(Counter(r[:100] for r in uploader.failed_calls).most_common(5)),
            "orphan_objects": uploader.orphan_objects,
            "given_up": len(uploader.given_up),
        },
        faults=faults_summary,
        fault_events=faults.events,
        daemon_log=scan_daemon_log(work / "dagster-daemon.log"),
        pg_database=pg_db,
        **figures,
    )
    result["goal_met"] = bool(
        result["drained"]
        and figures["lost"]["count"] == 0
        and figures["duplicated"]["count"] == 0
        and figures["stuck"]["count"] == 0
        and figures["overwritten"]["count"] == 0
        and figures["objects_missing"]["count"] == 0
        and not figures["duplicated"]["checklist_count_mismatch"]
        and not figures["duplicated"]["checklist_vs_linked"]
    )
    return result


def main() -> int:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1000, help="uploads per backend (default 1000)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seed", type=int, default=20240415)
    parser.add_argument("--upload-rate", type=float, default=150.0, help="documents a minute (default 150)")
    parser.add_argument("--upload-workers", type=int, default=2, help="concurrent upload calls (default 2)")
    parser.add_argument("--drain-timeout", type=float, default=3600.0, help="seconds for the whole soak")
    parser.add_argument("--stuck-after-minutes", type=float, default=1.0, help="ELLA_STUCK_AFTER_MINUTES")
    parser.add_argument("--engine-fault-permille", type=int, default=50, help="documents of 1000 (default 50)")
    parser.add_argument("--slow-share", type=float, default=0.03, help="share of uploads written slowly")
    parser.add_argument(
        "--daemon-kill",
        choices=["process", "group"],
        default="process",
        help="kill -9 the daemon process (default) or its whole process group with its code server and runs",
    )
    parser.add_argument(
        "--max-runtime-seconds",
        type=int,
        default=0,
        help="add run_monitoring.max_runtime_seconds to the soak's dagster.yaml (default: the project's file as is)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder and PostgreSQL database")
    for flag, help_text in (
        ("kill-runs", "kill -9 of run worker processes"),
        ("kill-daemon", "kill -9 of the daemon, then a restart"),
        ("db-faults", "SQLite exclusive locks / a PostgreSQL restart"),
        ("slow-writes", "slow store writes by the uploader"),
        ("s3-errors", "500s from the S3 proxy (postgres backend)"),
        ("engine-errors", "transient engine errors (benchmarks/soak_location.py)"),
    ):
        parser.add_argument(f"--no-{flag}", dest=flag.replace("-", "_"), action="store_false", help=f"no {help_text}")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    started = time.perf_counter()
    docs = make_documents(args.n, args.seed, args.slow_share if args.slow_writes else 0.0)
    console.print(
        f"{len(docs)} documents generated in {time.perf_counter() - started:.0f}s: "
        + ", ".join(f"{k} {v}" for k, v in sorted(Counter(d.kind for d in docs).items()))
        + f"; {sum(1 for d in docs if d.slow[0])} written slowly; {os.cpu_count()} cores"
    )
    results = []
    try:
        for backend in backends:
            results.append(finish(run_backend(backend, docs, args), args))
    finally:
        if "postgres" in backends:
            ensure_pg_running()
    print_summary(results)
    return 0 if all(r["goal_met"] for r in results) else 1


def git_state() -> dict[str, Any]:
    def git(*cmd: str) -> str:
        return subprocess.run(["git", *cmd], cwd=PROJECT_ROOT, capture_output=True, text=True).stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty_files": len(git("status", "--porcelain").splitlines()),
    }


def finish(result: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """JSON under benchmarks/results/; the work folder and database go unless kept (or something failed)."""
    result.update(git=git_state(), args=vars(args))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"soak_{result['backend']}_n{result['n']}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    log(f"results: {out}")
    pg_db, work = result.get("pg_database"), Path(result["work"])
    keep = args.keep or not result["goal_met"]
    if keep:
        log(f"kept for inspection: {work}" + (f", PostgreSQL database {pg_db}" if pg_db else ""))
        return result
    if pg_db:  # the app database and the Dagster instance's (`ella init` creates <appdb>_dagster)
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            for name in (pg_db, f"{pg_db}_dagster"):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    subprocess.run(["rm", "-rf", str(work)], check=False)
    return result


def print_summary(results: list[dict[str, Any]]) -> None:
    table = Table(title="soak: uploads through the real daemon under faults")
    table.add_column("")
    for r in results:
        table.add_column(f"{r['backend']} (N={r['n']})", overflow="fold")

    def row(label: str, get: Callable[[dict[str, Any]], Any]) -> None:
        table.add_row(label, *[str(get(r)) for r in results])

    def fmt(d: dict[str, Any]) -> str:
        return ", ".join(f"{k} {v}" for k, v in d.items()) or "-"

    row("uploads accepted", lambda r: f"{r['uploads']['accepted']} ({r['uploads']['accepted_unreported']} unreported)")
    row("rejected at upload", lambda r: len(r["uploads"]["rejected"]))
    row("failed upload calls (retried)", lambda r: r["uploads"]["failed_upload_calls"])
    row("terminal states", lambda r: fmt(r["terminal_states"]))
    row("lost", lambda r: r["lost"]["count"])
    row("duplicated", lambda r: r["duplicated"]["count"])
    row(
        "checklist counts != linked documents",
        lambda r: fmt(r["duplicated"].get("checklist_vs_linked", {})) or 0,
    )
    row("repeated history rows", lambda r: r["duplicated"]["repeated_history_rows"])
    row(
        "same bytes linked twice",
        lambda r: f"[red]{n}[/red]" if (n := r["copies_linked_twice"]["count"]) else 0,
    )
    row("stuck", lambda r: r["stuck"]["count"])
    row("split into documents", lambda r: f"{r['split_children']['count']} {fmt(r['split_children']['states'])}")
    row("overwritten", lambda r: f"{r['overwritten']['count']} of {r['overwritten']['checked']} checked")
    row("objects missing", lambda r: r["objects_missing"]["count"])
    row("renamed", lambda r: r["renamed"])
    row(
        "unexpected outcomes",
        lambda r: f"{r['unexpected_outcomes']['count']} {fmt(r['unexpected_outcomes']['reasons'])}",
    )
    row("runs", lambda r: fmt(r["runs"]))
    row("runs retried / re-driven", lambda r: f"{r['runs_retried']} / {r['runs_redrive']}")
    row(
        "runs failed as silent / still running",
        lambda r: (
            f"{len(r['runs_declared_dead'])} / "
            + str(sum(1 for v in r["runs_declared_dead"].values() if v["materializations_after"]))
        ),
    )
    row("step failures by cause", lambda r: fmt(r["daemon_log"]["step_failure_causes"]))
    row("sensor tick errors", lambda r: r["daemon_log"]["counts"]["sensor_tick_errors"])
    row("faults injected", lambda r: fmt(r["faults"]))
    row("drained", lambda r: r["drained"])
    row("wall time", lambda r: f"{r['wall_seconds']:.0f} s ({r['docs_per_minute']} docs/min)")
    row("goal (0 lost/dup/stuck/overwritten)", lambda r: "met" if r["goal_met"] else "[red]NOT met[/red]")
    console.print(table)
    for r in results:
        kinds = Table(title=f"{r['backend']}: terminal state by kind of upload")
        kinds.add_column("kind")
        kinds.add_column("states")
        for kind, states in r["by_kind"].items():
            kinds.add_row(kind, fmt(states))
        console.print(kinds)


if __name__ == "__main__":
    sys.exit(main())
