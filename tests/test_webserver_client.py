"""The staff commands' GraphQL client against a real HTTP server on loopback that fails on purpose."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from ella_dagster import backfills
from ella_dagster.backfills import DagsterWebserver

STATUS = {"data": {"partitionBackfillOrError": {"__typename": "PartitionBackfill", "id": "b1", "status": "COMPLETED"}}}


@pytest.fixture
def server() -> Iterator[tuple[str, list[int]]]:
    answers: list[int] = []  # HTTP statuses to answer, in order; then 200

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            code = answers.pop(0) if answers else 200
            body = json.dumps(STATUS if code == 200 else {"error": "busy"}).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", answers
    httpd.shutdown()


def test_a_passing_5xx_while_following_a_backfill_is_tried_again(server, monkeypatch) -> None:
    monkeypatch.setattr(backfills, "wait_exponential", lambda **_: lambda _state: 0)
    url, answers = server
    answers += [500, 502]
    assert DagsterWebserver(url).backfill_status("b1") == "COMPLETED"


def test_a_webserver_that_keeps_failing_is_an_error(server, monkeypatch) -> None:
    monkeypatch.setattr(backfills, "wait_exponential", lambda **_: lambda _state: 0)
    url, answers = server
    answers += [500] * 10
    with pytest.raises(requests.HTTPError):
        DagsterWebserver(url).backfill_status("b1")


def test_a_launch_is_never_sent_twice(server) -> None:
    url, answers = server
    answers += [500]
    with pytest.raises(requests.HTTPError):
        DagsterWebserver(url).launch_backfill(["d1"], ["classification"], "t")
    assert answers == []  # one request only: a second could launch a second backfill
