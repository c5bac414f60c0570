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
