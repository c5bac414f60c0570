"""The document job: the six assets of one document in one run, in one process."""

from dagster import AssetSelection, define_asset_job, in_process_executor

from ella_dagster.assets import DOCUMENT_ASSETS, documents_partitions

# One run per document, all steps in the run's own process: per-step processes would add seconds
# of start-up to every document (see benchmarks/throughput.py).
process_documents_job = define_asset_job(
    "process_documents",
    selection=AssetSelection.assets(*DOCUMENT_ASSETS),
    partitions_def=documents_partitions,
    executor_def=in_process_executor,
    description="Hash, classify, route, rename, extract and link one uploaded document.",
)
