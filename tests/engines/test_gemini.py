"""The Gemini engine: the real google-genai client against a stand-in Gemini server on 127.0.0.1."""

from __future__ import annotations

import io
import multiprocessing
import random
import time
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from ella_dagster import ratelimit, samples
from ella_dagster.db.models import Action, ClassificationResult, RawImage
from ella_dagster.domain.errors import PermanentDocumentError, TransientDocumentError
from ella_dagster.engines import gemini
from ella_dagster.engines.gemini import GeminiEngine, GeminiSettings
from ella_dagster.pipeline import steps
from tests.support.gemini_standin import KEY, GeminiStandIn, Scripted, answers, error_body
from tests.support.pipeline import ingest


@pytest.fixture(autouse=True)
def forget_working_model():
    gemini._working_model.clear()
    yield
    gemini._working_model.clear()


def engine(server: GeminiStandIn, **overrides) -> GeminiEngine:
    settings = GeminiSettings(
        api_key=KEY,
        base_url=server.url,
        model="gemini-2.5-flash",
        fallback_models=("gemini-2.5-flash-lite",),
        retry_delay_seconds=0.01,
        **{"max_retries": 3, **overrides},  # the engine's own retries, opt-in (GEMINI_MAX_RETRIES)
    )
    return GeminiEngine(settings, acquire=lambda: None)


@pytest.fixture(scope="module")
def w2() -> samples.Sample:
    return samples.w2(random.Random(3), 2024)


@pytest.mark.parametrize(
    ("confidence", "route", "status", "action"),
    [
        (0.92, "auto-linked", "LINKED", None),
        (0.72, "needs-review", "LINKED", "VERIFY_DOCS"),
        (0.40, "unclassified", "UNCLASSIFIED", "AI_FAILED"),
    ],
)
def test_each_route_through_the_pipeline(database, local_store, case_id, w2, confidence, route, status, action):
    with GeminiStandIn(responder=answers(confidence=confidence)) as server:
        [doc] = ingest(database, local_store, case_id, [("w2.png", w2.data)])
        results = steps.process_document(database, local_store, engine(server), doc)
    assert results["routing"].values["route"] == route
    assert results["classification"].values["engine_model"] == "gemini-2.5-flash"
    assert results["classification"].values["engine_total_tokens"] == 1240
    with database.transaction() as s:
        raw = s.get(RawImage, doc)
        assert raw.status == status
        history = s.scalars(select(ClassificationResult).where(ClassificationResult.raw_image_id == doc)).one()
        assert (history.engine, history.engine_version) == ("gemini", "gemini-2.5-flash+prompts-1")
        route_actions = [
            a.type
            for a in s.scalars(select(Action).where(Action.raw_image_id == doc))
            if a.title != steps.OCR_REVIEW_TITLE
        ]
        assert route_actions == ([action] if action else [])


def test_falls_back_to_the_next_model_and_remembers_it(w2) -> None:
    with GeminiStandIn(models=("gemini-2.5-flash-lite",), responder=answers()) as server:
        eng = engine(server)
        first = eng.classify(w2.data, w2.mime_type)
        second = eng.classify(w2.data, w2.mime_type)
    assert first.usage["models_tried"] == ["gemini-2.5-flash", "gemini-2.5-flash-lite"]
    assert second.usage["models_tried"] == ["gemini-2.5-flash-lite"]  # remembered for the process
    assert [m for _, m, _ in server.requests] == ["gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-flash-lite"]
    assert second.engine_version == "gemini-2.5-flash-lite+prompts-1"


def test_no_model_available_is_permanent(w2) -> None:
    with GeminiStandIn(models=("other",), responder=answers()) as server, pytest.raises(PermanentDocumentError):
        engine(server).classify(w2.data, w2.mime_type)


@pytest.mark.parametrize(("status", "name"), [(429, "RESOURCE_EXHAUSTED"), (503, "UNAVAILABLE"), (500, "INTERNAL")])
def test_transient_error_then_success(w2, status: int, name: str) -> None:
    with GeminiStandIn(responder=answers()) as server:
        server.script.append(Scripted(status, error_body(status, name, "try again"), {"Retry-After": "0"}))
        result = engine(server).classify(w2.data, w2.mime_type)
    assert result.doc_type.value == "W2" and result.usage["attempts"] == 2


def test_retry_after_is_honoured(w2) -> None:
    slept: list[float] = []
    with GeminiStandIn(responder=answers()) as server:
        server.script.append(Scripted(429, error_body(429, "RESOURCE_EXHAUSTED", "quota"), {"Retry-After": "7"}))
        settings = GeminiSettings(api_key=KEY, base_url=server.url, retry_delay_seconds=0.01, max_retries=3)
        GeminiEngine(settings, acquire=lambda: None, sleep=slept.append).classify(w2.data, w2.mime_type)
    assert slept == [7.0]


def test_by_default_the_engine_leaves_retries_to_the_document_and_passes_retry_after_on(w2) -> None:
    """One retry budget: with GEMINI_MAX_RETRIES unset the engine asks once; a 429 becomes a transient
    failure that carries the server's Retry-After to the document's retry wait (pipeline/batch.py)."""
    with GeminiStandIn(responder=answers()) as server:
        server.script.append(Scripted(429, error_body(429, "RESOURCE_EXHAUSTED", "quota"), {"Retry-After": "7"}))
        settings = GeminiSettings(api_key=KEY, base_url=server.url)
        with pytest.raises(TransientDocumentError) as failed:
            GeminiEngine(settings, acquire=lambda: None, sleep=pytest.fail).classify(w2.data, w2.mime_type)
    assert failed.value.retry_after == 7.0 and len(server.requests) == 1


def test_transient_errors_that_never_stop_give_a_transient_failure(w2) -> None:
    with GeminiStandIn(responder=answers()) as server:
        for _ in range(4):
            server.script.append(Scripted(503, error_body(503, "UNAVAILABLE", "The model is overloaded")))
        with pytest.raises(TransientDocumentError, match="503"):
            engine(server).classify(w2.data, w2.mime_type)
    assert len(server.requests) == 4  # the first try and three retries


def test_slow_responses_time_out_as_transient(w2) -> None:
    with GeminiStandIn(responder=answers(), latency=2.0) as server, pytest.raises(TransientDocumentError):
        engine(server, timeout_seconds=0.5, max_retries=1).classify(w2.data, w2.mime_type)


def test_permanent_error_fails_the_document_with_a_sanitised_message(database, local_store, case_id, w2) -> None:
    message = f"API key not valid. Please pass a valid API key. key={KEY} (ops@firm.example, /srv/keys/gemini.txt)"
    with GeminiStandIn(responder=answers()) as server:
        server.script.append(Scripted(400, error_body(400, "INVALID_ARGUMENT", message)))
        [doc] = ingest(database, local_store, case_id, [("w2.png", w2.data)])
        steps.process_document(database, local_store, engine(server), doc)
    assert len(server.requests) == 1  # not retried
    with database.transaction() as s:
        raw = s.get(RawImage, doc)
        assert raw.status == "FAILED" and "API key not valid" in raw.error_message
        [action] = s.scalars(select(Action).where(Action.raw_image_id == doc)).all()
        stored = raw.error_message + action.description + str(action.metadata_json)
    for secret in (KEY, "ops@firm.example", "/srv/keys"):
        assert secret not in stored


def test_schema_invalid_answer_gets_one_repair(w2) -> None:
    replies = iter([{"docType": "W-2", "confidence": 2}, {"docType": "W2", "confidence": 0.9, "reasoning": "ok"}])
    with GeminiStandIn(responder=lambda m, r: next(replies)) as server:
        result = engine(server).classify(w2.data, w2.mime_type)
    assert result.confidence == 0.9 and result.usage["attempts"] == 2


def test_schema_invalid_twice_is_permanent(w2) -> None:
    with (
        GeminiStandIn(responder=lambda m, r: "not json at all") as server,
        pytest.raises(PermanentDocumentError, match="after one repair"),
    ):
        engine(server).classify(w2.data, w2.mime_type)
    assert len(server.requests) == 2


def test_extraction_uses_the_versioned_schema_per_page(w2) -> None:
    two_pages = samples.multipage_1099_int_pdf(random.Random(5), 2024)
    fields = {"payer_tin": "12-3456789", "recipient_tin": "123-45-6789", "box_1": "100.00"}
    with GeminiStandIn(responder=answers(fields=fields)) as server:
        extraction = engine(server).extract(two_pages.data, two_pages.mime_type, two_pages.doc_type)
    assert [p.page for p in extraction.pages] == [1, 2] and extraction.pages[0].fields == fields
    assert extraction.usage["attempts"] == 2


def test_large_images_are_downscaled_and_huge_files_refused() -> None:
    noisy = Image.frombytes("RGB", (2600, 2600), random.Random(1).randbytes(2600 * 2600 * 3))
    out = io.BytesIO()
    noisy.save(out, "PNG")
    assert len(out.getvalue()) > gemini.MAX_SEND_BYTES
    data, mime = gemini.downscale(out.getvalue(), "image/png")
    assert len(data) <= gemini.MAX_SEND_BYTES and mime == "image/jpeg"
    with pytest.raises(PermanentDocumentError, match="20 MB"):
        gemini.prepare_for_classification(b"\0" * (gemini.HARD_LIMIT_BYTES + 1), "image/png")


def test_health_reports_each_model() -> None:
    with GeminiStandIn(models=("gemini-2.5-flash",)) as server:
        report = gemini.health(
            GeminiSettings(api_key=KEY, base_url=server.url, fallback_models=("gemini-9-imaginary",))
        )
    assert report["available"] is True and report["models"]["gemini-2.5-flash"] == "ok"
    assert "404" in report["models"]["gemini-9-imaginary"]
    assert gemini.health(GeminiSettings(api_key=""))["available"] is False


# -- the request rate across processes ---------------------------------------------------------


def _worker(url: str, database_url: str, data_dir: str, per_window: int, window: float, count: int) -> None:
    limiter = ratelimit.shared_limiter(database_url, data_dir, per_window, window)
    eng = GeminiEngine(
        GeminiSettings(api_key=KEY, base_url=url, retry_delay_seconds=0.01), acquire=lambda: ratelimit.acquire(limiter)
    )
    image = samples.ssn_card(random.Random(1), 2024)
    for _ in range(count):
        eng.classify(image.data, image.mime_type)


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t - start < window) for i, start in enumerate(times))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.slow
def test_the_rate_limit_holds_across_processes(backend: str, tmp_path: Path, request) -> None:
    per_window, window, processes, each = 4, 2.0, 3, 4
    database_url = (
        f"sqlite:///{tmp_path / 'ella.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    )
    with GeminiStandIn(responder=answers(doc_type="SSN_CARD")) as server:
        context = multiprocessing.get_context("spawn")
        workers = [
            context.Process(target=_worker, args=(server.url, database_url, str(tmp_path), per_window, window, each))
            for _ in range(processes)
        ]
        started = time.time()
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=120)
        assert all(w.exitcode == 0 for w in workers)
        times = server.generate_times()
    assert len(times) == processes * each
    assert max_in_window(times, window) <= per_window
    # 12 requests at 4 per 2 s cannot take less than two full windows.
    assert times[-1] - started >= 2 * window * 0.9


def test_the_model_gets_the_schema_without_bookkeeping_and_errors_keep_no_raw_response(w2) -> None:
    fields = {"employer_ein": "12-3456789", "wages": "1.00"}
    with GeminiStandIn(responder=answers(fields=fields)) as server:
        engine(server).extract(w2.data, w2.mime_type, w2.doc_type)
        sent = server.last_request["generationConfig"]["responseJsonSchema"]
        server.script.append(Scripted(400, error_body(400, "INVALID_ARGUMENT", f"bad key={KEY}")))
        with pytest.raises(PermanentDocumentError) as failure:
            engine(server).classify(w2.data, w2.mime_type)
    assert "properties" in sent and not any(k.startswith(("$", "x-")) for k in sent)
    assert failure.value.__cause__ is None and failure.value.__suppress_context__  # the SDK error is not chained
    assert KEY not in str(failure.value)
