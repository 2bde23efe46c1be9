"""Records on disk: queued pushes become pending records; bad ones are set aside."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.ci.records import PipelineRecord, Push
from harness.ci.store import PipelineNotFoundError, PipelineStore

SHA = "b" * 40


def enqueue(store: PipelineStore, pid: int, **extra: object) -> None:
    body = {"id": pid, "repo": "service", "sha": SHA, "pushed_by": "Ann <a@x>", **extra}
    (store.incoming / f"{pid}.json").write_text(json.dumps(body))


def test_pushes_become_pending_records_newest_first(tmp_path: Path) -> None:
    store = PipelineStore(tmp_path)
    store.ensure()
    for pid in (2, 10, 1):
        enqueue(store, pid)
    created = store.ingest()
    assert [r.id for r in created] == [1, 2, 10]
    assert [r.id for r in store.all()] == [10, 2, 1]
    assert all(r.status == "pending" for r in store.all())
    assert list(store.incoming.glob("*.json")) == []
    assert store.load(2).pushed_by == "Ann <a@x>"


def test_a_malformed_push_is_set_aside_with_the_reason(tmp_path: Path) -> None:
    store = PipelineStore(tmp_path)
    store.ensure()
    enqueue(store, 1, sha="not-a-sha")
    enqueue(store, 2)
    assert [r.id for r in store.ingest()] == [2]
    assert (store.rejected / "1.json").exists()
    assert "sha" in (store.rejected / "1.json.why").read_text()


def test_a_push_file_still_being_written_is_left_for_the_hook_to_rename(tmp_path: Path) -> None:
    """The hook writes ``.<id>.json`` and renames it into place; taking it early made the
    hook's rename fail and the push name no pipeline (seen in the push scenarios)."""
    store = PipelineStore(tmp_path)
    store.ensure()
    body = {"id": 7, "repo": "model", "sha": SHA, "pushed_by": "Ann <a@x>"}
    writing = store.incoming / ".7.json"
    writing.write_text(json.dumps(body))
    assert store.ingest() == []
    assert writing.exists() and not (store.rejected / ".7.json").exists()
    writing.rename(store.incoming / "7.json")
    assert [r.id for r in store.ingest()] == [7]


def test_records_survive_a_new_store_on_the_same_folder(tmp_path: Path) -> None:
    first = PipelineStore(tmp_path)
    record = PipelineRecord.from_push(Push(id=7, repo="model", sha=SHA))
    record.status = "success"
    first.save(record)
    assert PipelineStore(tmp_path).load(7).status == "success"


def test_unknown_pipeline_and_missing_log_are_named(tmp_path: Path) -> None:
    store = PipelineStore(tmp_path)
    store.ensure()
    with pytest.raises(PipelineNotFoundError, match="no pipeline 4"):
        store.load(4)
    with pytest.raises(PipelineNotFoundError, match="no log for job 'build' of pipeline 4"):
        store.read_log(4, "build")
