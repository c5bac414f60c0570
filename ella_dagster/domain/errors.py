"""Two kinds of failure: retry the transient ones, fail the document at once on permanent ones."""

import re


class DocumentError(Exception):
    """Base class; the message is shown to staff and engineers, so it never carries PII."""


class PermanentDocumentError(DocumentError):
    """Retrying cannot help: corrupt file, unreadable PDF, unsupported content."""


class TransientDocumentError(DocumentError):
    """Retrying may help: a timeout, a locked database, a storage hiccup. `retry_after`: how long the
    service asked to be left alone (a 429's Retry-After), honoured by the document's retry wait."""

    def __init__(self, message: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


_API_KEY = re.compile(r"AIza[0-9A-Za-z_\-]{20,}|(?i:(?:api[_-]?key|key|token|secret)=)[^\s&\"']+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_PATH = re.compile(r"(?:[A-Za-z]:\\|(?<![\w.:/])/)(?:[\w.\-]+[\\/])+[\w.\-]*")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# SQLAlchemy appends the statement, its bound values (names, extracted fields) and a help link.
_SQL_DETAIL = re.compile(r"\s*\[(?:SQL|parameters)\b[^\]]*\]|\s*\(Background on this error at: [^)]*\)")
MAX_ERROR_LENGTH = 1000


def sanitize_error(text: str, *, max_length: int | None = MAX_ERROR_LENGTH) -> str:
    """Error text safe to store or show, and the one function for every error message that reaches
    Dagster (descriptions, metadata, logs), the database or the CLI: API keys, e-mail addresses and
    absolute file paths removed, SSNs/TINs/account numbers masked (`domain.pii.mask_text`, which leaves
    ids, sizes and timestamps readable), control characters and line breaks turned into single spaces,
    and at most `max_length` characters (None: no cap), cut with an ellipsis."""
    from ella_dagster.domain.pii import mask_text

    text = " ".join(_CONTROL.sub(" ", str(text)).split())
    text = _SQL_DETAIL.sub("", text)
    if max_length is not None:
        # Bounded work on huge text; masking never grows text by half, so the cut below stays far
        # before this one and never keeps a value this one split.
        text = text[: 2 * max_length + 100]
    text = _API_KEY.sub("[key]", text)
    text = _EMAIL.sub("[email]", text)
    text = _PATH.sub("[path]", text)
    text = mask_text(text)
    if max_length is not None and len(text) > max_length:
        text = text[: max(max_length - 1, 0)].rstrip() + "\u2026"
    return text
