"""The document job: the six stages of a batch of documents in one run, in one process."""

from dagster import AssetSelection, define_asset_job, in_process_executor

from ella_dagster.assets import DOCUMENT_KEYS, documents_partitions

# One run per batch (a range of `documents` partitions), all stages in one step in the run's own
# process: a run costs seconds of start-up, a document well under one (see benchmarks/throughput.py).
process_documents_job = define_asset_job(
    "process_documents",
    selection=AssetSelection.assets(*DOCUMENT_KEYS),  # by key: the assets are built from the settings
    partitions_def=documents_partitions,
    executor_def=in_process_executor,
    description="Hash, classify, route, rename, extract and link a batch of uploaded documents.",
)
