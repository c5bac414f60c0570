"""Gemini vision through the official google-genai SDK: structured output, a model fallback chain,
transient-error retries with backoff that honour Retry-After, and a deployment-wide request rate."""

from __future__ import annotations

import io
import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema
import pypdfium2 as pdfium

from ella_dagster.config import GeminiSettings  # read with the other settings (config.Settings.gemini)
from ella_dagster.domain.doc_types import DocType
from ella_dagster.domain.errors import PermanentDocumentError, TransientDocumentError, sanitize_error
from ella_dagster.domain.extraction import confidence_for, schema_for
from ella_dagster.domain.pages import load_pages
from ella_dagster.engines.base import Classification, Extraction, PageFields
from ella_dagster.engines.prompts import (
    ALTERNATIVES_BELOW,
    PROMPT_VERSION,
    classification_prompt,
    classification_schema,
    extraction_prompt,
    repair_prompt,
)

MAX_SEND_BYTES = 4 * 1024 * 1024  # larger images are downscaled before sending
HARD_LIMIT_BYTES = 20 * 1024 * 1024
TRANSIENT_STATUS = {408, 429, 500, 502, 503, 504}
TRANSIENT_TEXT = re.compile(r"rate.?limit|timeout|overloaded|resource.?exhausted|quota.?exceeded|unavailable", re.I)
NOT_FOUND_TEXT = re.compile(r"not found|does not exist|is not supported", re.I)


# The model that last worked, remembered for the life of the process.
_working_model: dict[str, str] = {}
_working_lock = threading.Lock()


@dataclass
class Call:
    """What one logical request cost: the metadata engineers see in the UI."""

    model: str = ""
    attempts: int = 0
    latency_seconds: float = 0.0
    prompt_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    models_tried: list[str] = field(default_factory=list)

    def add_usage(self, usage: Any) -> None:
        if usage is not None:
            self.prompt_tokens += usage.prompt_token_count or 0
            self.output_tokens += usage.candidates_token_count or 0
            self.total_tokens += usage.total_token_count or 0

    def as_metadata(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "attempts": self.attempts,
            "latency_seconds": round(self.latency_seconds, 3),
            "prompt_tokens": self.prompt_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.total_tokens,
            "models_tried": self.models_tried,
        }


def _error_kind(exc: Exception) -> str:
    from google.genai import errors

    if isinstance(exc, errors.APIError):
        text = f"{exc.status} {exc.message}"
        if exc.code == 404 or (exc.code == 400 and NOT_FOUND_TEXT.search(text) and "model" in text.lower()):
            return "model_not_found"
        if exc.code in TRANSIENT_STATUS or TRANSIENT_TEXT.search(text):
            return "transient"
        return "permanent"
    if isinstance(exc, TimeoutError | ConnectionError) or type(exc).__module__.split(".")[0] in ("httpx", "httpx2"):
        return "transient"
    return "permanent"


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None and hasattr(response, "headers") else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _describe(exc: Exception) -> str:
    from google.genai import errors

    if isinstance(exc, errors.APIError):
        return sanitize_error(f"Gemini {exc.code} {exc.status or ''}: {exc.message or ''}".strip())
    return sanitize_error(f"Gemini request failed: {type(exc).__name__}: {exc}")


class GeminiEngine:
    name = "gemini"

    def __init__(
        self, settings: GeminiSettings, acquire: Callable[[], None], sleep: Callable[[float], None] = time.sleep
    ):
        from google import genai
        from google.genai import types

        if not settings.api_key:
            raise PermanentDocumentError("GEMINI_API_KEY is not set")
        self.settings = settings
        self._acquire = acquire
        self._sleep = sleep
        self._types = types
        http = types.HttpOptions(
            base_url=settings.base_url,
            timeout=int(settings.timeout_seconds * 1000),
            retry_options=types.HttpRetryOptions(attempts=1),
        )  # retries are ours
        self.client = genai.Client(api_key=settings.api_key, http_options=http)

    @property
    def version(self) -> str:
        return f"{self.active_model}+{PROMPT_VERSION}"

    @property
    def active_model(self) -> str:
        return _working_model.get(self.settings.api_key[-6:], self.settings.model)

    def can_extract(self, doc_type: DocType) -> bool:
        return schema_for(doc_type) is not None

    # -- the one place requests are sent ---------------------------------------------------------
    def _generate(self, parts: list[Any], schema: dict[str, Any], call: Call) -> dict[str, Any]:
        models = [self.active_model, *(m for m in self.settings.models if m != self.active_model)]
        last_not_found = None
        for model in models:
            call.models_tried.append(model)
            try:
                answer = self._ask_model(model, parts, schema, call)
            except _ModelNotFound as exc:
                last_not_found = exc.detail
                continue
            with _working_lock:
                _working_model[self.settings.api_key[-6:]] = model
            call.model = model
            return answer
        raise PermanentDocumentError(f"no configured Gemini model is available ({last_not_found})")

    def _ask_model(self, model: str, parts: list[Any], schema: dict[str, Any], call: Call) -> dict[str, Any]:
        config = self._types.GenerateContentConfig(
            response_mime_type="application/json", response_json_schema=for_model(schema), temperature=0
        )
        contents = list(parts)
        repaired = False
        attempt = 0
        while True:
            attempt += 1
            call.attempts += 1
            self._acquire()
            started = time.perf_counter()
            try:
                response = self.client.models.generate_content(model=model, contents=contents, config=config)
            except Exception as exc:  # noqa: BLE001 - sorted into the three kinds below
                call.latency_seconds += time.perf_counter() - started
                kind = _error_kind(exc)
                if kind == "model_not_found":
                    raise _ModelNotFound(_describe(exc)) from None
                if kind == "transient" and attempt <= self.settings.max_retries:
                    self._sleep(self._backoff(attempt, _retry_after(exc)))
                    continue
                # `from None`: the SDK's exception carries the raw response, which must not reach the UI.
                if kind == "transient":
                    raise TransientDocumentError(_describe(exc), retry_after=_retry_after(exc)) from None
                raise PermanentDocumentError(_describe(exc)) from None
            call.latency_seconds += time.perf_counter() - started
            call.add_usage(response.usage_metadata)
            answer, errors = _parse(response.text, schema)
            if not errors:
                return answer
            if repaired:
                raise PermanentDocumentError(f"Gemini answer does not match the schema after one repair: {errors[0]}")
            repaired = True
            contents = [*parts, self._types.Part.from_text(text=repair_prompt(errors))]

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        delay = self.settings.retry_delay_seconds * 2 ** (attempt - 1)
        delay *= random.uniform(0.8, 1.2)  # jitter
        return max(delay, retry_after or 0.0)

    # -- classification and extraction ----------------------------------------------------------
    def classify(self, data: bytes, mime_type: str) -> Classification:
        started = time.perf_counter()
        call = Call()
        blob, blob_type = prepare_for_classification(data, mime_type)
        answer = self._generate(
            [self._types.Part.from_bytes(data=blob, mime_type=blob_type), classification_prompt()],
            classification_schema(),
            call,
        )
        confidence = round(float(answer["confidence"]), 4)
        alternatives = [
            {"doc_type": a["docType"], "confidence": a["confidence"]} for a in answer.get("alternatives") or []
        ][:3]
        return Classification(
            doc_type=DocType(answer["docType"]),
            confidence=confidence,
            reasoning=sanitize_error(answer.get("reasoning", ""))[:500],
            tax_year=answer.get("taxYear"),
            source=answer.get("source") or None,
            alternatives=alternatives if confidence < ALTERNATIVES_BELOW else [],
            engine=self.name,
            engine_version=f"{call.model}+{PROMPT_VERSION}",
            seconds=round(time.perf_counter() - started, 3),
            usage=call.as_metadata(),
        )

    def extract(self, data: bytes, mime_type: str, doc_type: DocType) -> Extraction:
        schema = schema_for(doc_type)
        assert schema is not None
        started = time.perf_counter()
        call = Call()
        pages = []
        for number, (blob, blob_type) in enumerate(prepare_pages_for_extraction(data, mime_type), start=1):
            answer = self._generate(
                [self._types.Part.from_bytes(data=blob, mime_type=blob_type), extraction_prompt(schema)],
                schema.json_schema(),
                call,
            )
            found = {k: v for k, v in answer.items() if v not in (None, "")}
            pages.append(PageFields(number, found, confidence_for(doc_type, found) if found else 0.0))
        return Extraction(doc_type, pages, seconds=round(time.perf_counter() - started, 3), usage=call.as_metadata())


class _ModelNotFound(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def for_model(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as sent to the model: without our own bookkeeping keys ($schema, $id, x-aliases).
    Answers are still validated against the full schema, patterns included."""
    return {k: v for k, v in schema.items() if not k.startswith(("$", "x-"))}


def _parse(text: str | None, schema: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    try:
        answer = json.loads(text or "")
    except json.JSONDecodeError:
        return {}, ["the answer is not JSON"]
    validator = jsonschema.Draft202012Validator(schema)
    errors = [f"{'/'.join(map(str, e.path)) or '(root)'}: {e.validator}" for e in validator.iter_errors(answer)]
    return answer, errors


def _check_size(data: bytes) -> None:
    if len(data) > HARD_LIMIT_BYTES:
        raise PermanentDocumentError("file larger than 20 MB cannot be sent to Gemini")


def downscale(data: bytes, mime_type: str) -> tuple[bytes, str]:
    """Images over 4 MB are re-encoded as JPEG at a size that fits."""
    if len(data) <= MAX_SEND_BYTES:
        return data, mime_type
    # Decoded as the pipeline decodes it: size limits before decoding, alpha on white, decoding
    # errors permanent (domain/pages.py).
    image = load_pages(data, mime_type)[0].image.convert("RGB")
    scale = (MAX_SEND_BYTES / len(data)) ** 0.5
    while True:
        resized = image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))))
        out = io.BytesIO()
        resized.save(out, "JPEG", quality=85)
        if out.tell() <= MAX_SEND_BYTES:
            return out.getvalue(), "image/jpeg"
        scale *= 0.8


def first_pdf_page(data: bytes) -> bytes:
    source = pdfium.PdfDocument(io.BytesIO(data))
    try:
        if len(source) <= 1:
            return data
        single = pdfium.PdfDocument.new()
        single.import_pages(source, [0])
        out = io.BytesIO()
        single.save(out)
        return out.getvalue()
    finally:
        source.close()


def prepare_for_classification(data: bytes, mime_type: str) -> tuple[bytes, str]:
    _check_size(data)
    if mime_type == "application/pdf":
        try:
            return first_pdf_page(data), mime_type  # the PDF itself: the model reads it natively
        except pdfium.PdfiumError as exc:
            raise PermanentDocumentError("unreadable PDF") from exc
    return downscale(data, mime_type)


def prepare_pages_for_extraction(data: bytes, mime_type: str) -> list[tuple[bytes, str]]:
    _check_size(data)
    if mime_type != "application/pdf":
        return [downscale(data, mime_type)]
    pages = []
    for page in load_pages(data, mime_type, dpi=150):
        out = io.BytesIO()
        page.image.save(out, "PNG")
        pages.append(downscale(out.getvalue(), "image/png"))
    return pages


def health(settings: GeminiSettings) -> dict[str, Any]:
    """Configuration and reachability of each configured model (like the earlier system's /health)."""
    from google import genai
    from google.genai import types

    report: dict[str, Any] = {
        "configured": bool(settings.api_key),
        "model": settings.model,
        "fallback_models": list(settings.fallback_models),
        "rate_limit": f"{settings.requests_per_window}/{settings.window_seconds:g}s",
    }
    if not settings.api_key:
        return report | {"available": False, "error": "GEMINI_API_KEY is not set"}
    client = genai.Client(
        api_key=settings.api_key,
        http_options=types.HttpOptions(
            base_url=settings.base_url, timeout=10_000, retry_options=types.HttpRetryOptions(attempts=1)
        ),
    )
    models = {}
    for model in settings.models:
        try:
            client.models.get(model=model)
            models[model] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            models[model] = _describe(exc)
    return report | {"models": models, "available": any(v == "ok" for v in models.values())}
