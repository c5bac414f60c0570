from ella_dagster.assets.documents import DOCUMENT_KEYS, build_document_assets, documents_partitions
from ella_dagster.assets.metrics import METRICS_KEY, build_metrics_asset, daily_partitions

__all__ = [
    "DOCUMENT_KEYS",
    "METRICS_KEY",
    "build_document_assets",
    "build_metrics_asset",
    "daily_partitions",
    "documents_partitions",
]


def __getattr__(name: str):
    """`confidence_metrics`: the metrics asset of the process's settings, for callers not yet given a
    settings object (demo.py); new code calls build_metrics_asset(settings). Built on first use, not
    at import."""
    if name == "confidence_metrics":
        from ella_dagster.config import current

        return build_metrics_asset(current())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
