"""The portal's upload: a store that fails part-way through a batch."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from ella_dagster.pipeline.intake import seed_demo, upload_files
from ella_dagster.store import LocalDocumentStore


class FailingStore(LocalDocumentStore):
    """A local store whose n-th write (or journal entry) answers like an S3 500."""

    def __init__(self, root: Path, *, fail_put: int | None = None, fail_record: int | None = None) -> None:
        super().__init__(root)
        self.puts = self.records = 0
        self.fail_put, self.fail_record = fail_put, fail_record

    @staticmethod
    def _500() -> ClientError:
        return ClientError({"Error": {"Code": "InternalError"}, "ResponseMetadata": {"HTTPStatusCode": 500}}, "Put")

    def put(self, key, data, metadata=None):
        self.puts += not key.startswith("_uploads/")  # journal markers are counted by record_upload
        if self.puts == self.fail_put and not key.startswith("_uploads/"):
            raise self._500()
        return super().put(key, data, metadata)

    def record_upload(self, upload_id, key):
        self.records += 1
        if self.records == self.fail_record:
            raise self._500()
        return super().record_upload(upload_id, key)


@pytest.mark.parametrize(
    ("failing", "said", "objects"),
    [("put", "not stored (upload it again)", 2), ("record", "not confirmed (upload it again)", 3)],
)
def test_a_store_failure_part_way_reports_each_file_and_loses_none(
    sqlite_db, tmp_path, generated, failing, said, objects
) -> None:
    """The second file's write (or its journal marker) answers 500: the first and third are stored and
    journalled; the second is reported, never "stored". An object whose marker failed stays (the marker
    may have been written all the same: deleting the object would leave a marker without its file)."""
    store = FailingStore(tmp_path / "store", **{f"fail_{failing}": 2})
    case = seed_demo(sqlite_db)
    files = [(f"w2_{i}.png", generated["w2"].data + bytes([i])) for i in range(3)]
    outcomes = upload_files(sqlite_db, store, case, files)
    assert [o.upload_id is not None for o in outcomes] == [True, False, True]
    assert outcomes[1].rejected.startswith(f"{said}: ClientError")
    journalled = {store.read_marker(m).upload_id for m in store.list_markers(None, limit=100)}
    assert journalled == {outcomes[0].upload_id, outcomes[2].upload_id}  # "stored" = journalled
    assert len(list((store.root / "cases" / case / "raw").iterdir())) == objects


def _client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (_client_error("AccessDenied", 403), True),
        (_client_error("ConditionalRequestConflict", 409), True),
        (_client_error("InvalidArgument", 400), False),
        (RuntimeError("something nobody foresaw"), True),
        (ValueError("not an upload marker: _uploads/x"), False),
        (FileNotFoundError("cases/c/raw/x.png"), False),
    ],
)
def test_only_what_is_known_to_be_about_the_marker_is_permanent(error, transient) -> None:
    """An error not known to be the marker's own is retried: passing a marker loses its upload."""
    from ella_dagster.pipeline.intake import is_transient

    assert is_transient(error) is transient
