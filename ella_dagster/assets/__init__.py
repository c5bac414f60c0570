from ella_dagster.assets.documents import DOCUMENT_ASSETS, documents_partitions

__all__ = ["DOCUMENT_ASSETS", "documents_partitions"]
