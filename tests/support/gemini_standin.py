"""A stand-in for Google's Gemini REST API on 127.0.0.1, spoken to by the real google-genai client.

It answers `models/{m}:generateContent` and `models/{m}` like the real service: JSON bodies, real
status codes and error bodies, 404 for unknown models, 429 with Retry-After when its own per-minute
quota is exceeded, optional latency, and scripted failures. It records every request it receives.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GENERATE = re.compile(r"^/v1(?:beta)?/models/([^/:]+):generateContent")
MODEL = re.compile(r"^/v1(?:beta)?/models/([^/:?]+)$")

Responder = Callable[[str, dict[str, Any]], dict[str, Any]]


@dataclass
class Scripted:
    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def error_body(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


def prompt_text(request: dict[str, Any]) -> str:
    return " ".join(p["text"] for c in request.get("contents", []) for p in c.get("parts", []) if p.get("text"))


class GeminiStandIn:
    def __init__(
        self,
        models: tuple[str, ...] = ("gemini-2.5-flash", "gemini-2.5-flash-lite"),
        responder: Responder | None = None,
        latency: float = 0.0,
        quota_per_minute: int | None = None,
        quota_window: float = 60.0,
    ) -> None:
        self.models = set(models)
        self.responder = responder or (lambda model, request: {})
        self.latency = latency
        self.quota_per_minute = quota_per_minute
        self.quota_window = quota_window
        self.script: deque[Scripted] = deque()
        self.requests: list[tuple[float, str, str]] = []  # (time, model, kind)
        self.quota_rejections = 0
        self.last_request: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # serve_forever looks for shutdown() every poll_interval (0.5 s by default): each stand-in's
        # exit waited that long.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> GeminiStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def generate_times(self) -> list[float]:
        return [t for t, _, kind in self.requests if kind == "generate"]

    def _decide(self, model: str, request: dict[str, Any]) -> Scripted:
        now = time.time()
        with self._lock:
            self.requests.append((now, model, "generate"))
            self.last_request = request
            if model not in self.models:
                return Scripted(
                    404, error_body(404, "NOT_FOUND", f"models/{model} is not found for API version v1beta")
                )
            if self.quota_per_minute is not None:
                recent = [t for t in self.generate_times() if now - t < self.quota_window]
                if len(recent) > self.quota_per_minute:
                    self.quota_rejections += 1
                    return Scripted(
                        429, error_body(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted"), {"Retry-After": "2"}
                    )
            if self.script:
                return self.script.popleft()
        answer = self.responder(model, request)
        text = answer if isinstance(answer, str) else json.dumps(answer)
        return Scripted(
            200,
            {
                "candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP"}],
                "usageMetadata": {"promptTokenCount": 1200, "candidatesTokenCount": 40, "totalTokenCount": 1240},
                "modelVersion": model,
            },
            delay=self.latency,
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _send(self, reply: Scripted) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                body = (reply.body if isinstance(reply.body, str) else json.dumps(reply.body)).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                request = json.loads(self.rfile.read(length) or b"{}")
                match = GENERATE.match(self.path)
                if not match:
                    return self._send(Scripted(404, error_body(404, "NOT_FOUND", "unknown method")))
                if not self.headers.get("x-goog-api-key"):
                    return self._send(Scripted(401, error_body(401, "UNAUTHENTICATED", "API key missing")))
                return self._send(standin._decide(match.group(1), request))

            def do_GET(self) -> None:
                match = MODEL.match(self.path.split("?")[0])
                with standin._lock:
                    standin.requests.append((time.time(), match.group(1) if match else "", "get"))
                if match and match.group(1) in standin.models:
                    return self._send(Scripted(200, {"name": f"models/{match.group(1)}"}))
                model = match.group(1) if match else "?"
                return self._send(Scripted(404, error_body(404, "NOT_FOUND", f"models/{model} is not found")))

        return Handler


KEY = "AIzaSyTEST-not-a-real-key-0123456789"


def answers(doc_type: str = "W2", confidence: float = 0.92, fields: dict | None = None):
    def responder(model: str, request: dict) -> dict:
        if prompt_text(request).startswith("CLASSIFY"):
            return {
                "docType": doc_type,
                "confidence": confidence,
                "reasoning": "title visible",
                "taxYear": 2024,
                "source": "Acme Tools Inc",
                "alternatives": [{"docType": "OTHER", "confidence": 0.1}],
            }
        return fields or {
            "employer_ein": "12-3456789",
            "employee_ssn": "123-45-6789",
            "wages": "52340.17",
            "federal_tax_withheld": "6280.82",
            "tax_year": "2024",
        }

    return responder
