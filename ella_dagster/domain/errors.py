"""Two kinds of failure: retry the transient ones, fail the document at once on permanent ones."""

import re


class DocumentError(Exception):
    """Base class; the message is shown to staff and engineers, so it never carries PII."""


class PermanentDocumentError(DocumentError):
    """Retrying cannot help: corrupt file, unreadable PDF, unsupported content."""


class TransientDocumentError(DocumentError):
    """Retrying may help: a timeout, a locked database, a storage hiccup."""


_API_KEY = re.compile(r"AIza[0-9A-Za-z_\-]{20,}|(?i:(?:api[_-]?key|key|token|secret)=)[^\s&\"']+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_PATH = re.compile(r"(?:[A-Za-z]:\\|(?<![\w.:/])/)(?:[\w.\-]+[\\/])+[\w.\-]*")


def sanitize_error(text: str) -> str:
    """Error text safe to store or show: API keys, e-mail addresses and file paths removed, PII masked."""
    from ella_dagster.domain.pii import mask_text

    text = _API_KEY.sub("[key]", text)
    text = _EMAIL.sub("[email]", text)
    text = _PATH.sub("[path]", text)
    return mask_text(text)
