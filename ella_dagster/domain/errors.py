"""Two kinds of failure: retry the transient ones, fail the document at once on permanent ones."""


class DocumentError(Exception):
    """Base class; the message is shown to staff and engineers, so it never carries PII."""


class PermanentDocumentError(DocumentError):
    """Retrying cannot help: corrupt file, unreadable PDF, unsupported content."""


class TransientDocumentError(DocumentError):
    """Retrying may help: a timeout, a locked database, a storage hiccup."""
