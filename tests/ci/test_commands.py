"""``drydock pipelines`` on a records folder: the contract's JSON, show, logs, play."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.ci import records
from harness.ci.commands import pipelines, pipelines_of
from harness.ci.records import JobRecord, PipelineRecord, Push
from harness.ci.store import PipelineStore
from harness.errors import DrydockError

SHA = "d" * 40


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PipelineStore:
    monkeypatch.setenv("DRYDOCK_CI_DIR", str(tmp_path))
    store = PipelineStore(tmp_path)
    store.ensure()
    for pid, code in ((1, 0), (2, 1)):
        record = PipelineRecord.from_push(Push(id=pid, repo="service", sha=SHA))
        records.start(record, [JobRecord(name="test", stage="test")])
        records.start_job(record, "test")
        store.log_path(pid, "test").parent.mkdir(parents=True)
        store.log_path(pid, "test").write_text(f"full log of {pid}\n")
        records.finish_job(record, "test", code)
        store.save(record)
    return store


def invoke(*args: str) -> str:
    result = CliRunner().invoke(pipelines, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_list_json_is_the_contract_newest_first(store: PipelineStore) -> None:
    listed = json.loads(invoke("list", "--json"))
    assert [p["id"] for p in listed] == [2, 1]
    assert [p["status"] for p in listed] == ["failed", "success"]
    for pipeline in listed:
        assert pipeline["sha"] == SHA and pipeline["repo"] == "service"
        (job,) = pipeline["jobs"]
        assert set(job) == {"name", "stage", "status", "duration_s"}
        assert isinstance(job["duration_s"], float)


def test_show_and_logs(store: PipelineStore) -> None:
    assert "job test failed (exit code 1)" in invoke("show", "2")
    assert invoke("logs", "2", "test") == "full log of 2\n"
    assert "===== test =====" in invoke("logs", "1")


def test_an_unknown_pipeline_or_job_exits_non_zero_naming_it(store: PipelineStore) -> None:
    result = CliRunner().invoke(pipelines, ["show", "9"])
    assert result.exit_code != 0 and "no pipeline 9" in result.output
    result = CliRunner().invoke(pipelines, ["logs", "1", "deploy"])
    assert result.exit_code != 0 and "no job 'deploy'" in result.output
    result = CliRunner().invoke(pipelines, ["play", "1", "test"])
    assert result.exit_code != 0 and "is success, not manual" in result.output


def test_remotes_json_names_both_repositories(store: PipelineStore) -> None:
    assert json.loads(invoke("remotes", "--json")) == {
        "model": "git://127.0.0.1:9418/model.git",
        "service": "git://127.0.0.1:9418/service.git",
    }


def test_a_push_without_an_announced_pipeline_is_found_by_its_commit(
    store: PipelineStore,
) -> None:
    assert pipelines_of(store, SHA) == [2, 1]
    with pytest.raises(DrydockError, match="no pipeline was queued for the pushed commit eeee"):
        pipelines_of(store, "e" * 40, timeout_s=0.2)


def test_cancel_names_an_unknown_pipeline_and_one_that_already_ended(
    store: PipelineStore,
) -> None:
    unknown = CliRunner().invoke(pipelines, ["cancel", "9"])
    assert unknown.exit_code != 0 and "no pipeline 9" in unknown.output
    ended = CliRunner().invoke(pipelines, ["cancel", "2"])
    assert ended.exit_code != 0
    assert "pipeline 2 already ended failed: nothing to cancel" in ended.output
    assert list(store.cancels.iterdir()) == []


def test_cancel_without_a_runner_stays_queued_for_its_next_start(store: PipelineStore) -> None:
    store.save(PipelineRecord.from_push(Push(id=3, repo="model", sha=SHA)))
    said = invoke("cancel", "3")
    assert "pipeline 3: cancel queued; no CI runner runs" in said
    assert json.loads((store.cancels / "3.json").read_text()) == {"id": 3}
    assert store.load(3).status == "pending", "only the runner writes a record it may run"
