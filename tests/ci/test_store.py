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


def test_ids_continue_the_hooks_sequence_and_an_enqueued_run_becomes_pending(
    tmp_path: Path,
) -> None:
    """The git remote's hook counts in ``.sequence`` ("N\\n"); a run from the host takes
    the next number from the same file, so a push and a run never share an id."""
    store = PipelineStore(tmp_path)
    store.ensure()
    (tmp_path / ".sequence").write_text("41\n")
    first, second = store.next_id(), store.next_id()
    assert (first, second) == (42, 43)
    assert (tmp_path / ".sequence").read_text() == "43\n"
    store.enqueue(Push(id=first, repo="model", sha=SHA, ref="refs/heads/main", pushed_by="me"))
    assert not list(store.incoming.glob(".*.json")), "renamed into place"
    (created,) = store.ingest()
    assert (created.id, created.repo, created.status, created.pushed_by) == (
        42,
        "model",
        "pending",
        "me",
    )


def test_the_first_id_of_a_fresh_folder_is_one(tmp_path: Path) -> None:
    assert PipelineStore(tmp_path / "new").next_id() == 1
