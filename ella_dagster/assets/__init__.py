from ella_dagster.assets.documents import DOCUMENT_ASSETS, documents_partitions
from ella_dagster.assets.metrics import confidence_metrics, daily_partitions

__all__ = ["DOCUMENT_ASSETS", "confidence_metrics", "daily_partitions", "documents_partitions"]
