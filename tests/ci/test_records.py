"""Status rules of pipelines and jobs (GitLab's words), pure."""

from __future__ import annotations

import pytest

from harness.ci import records
from harness.ci.records import JobRecord, PipelineRecord, Push, TransitionError

SHA = "a" * 40


def pipeline(*jobs: tuple[str, str, str]) -> PipelineRecord:
    record = PipelineRecord.from_push(Push(id=1, repo="model", sha=SHA))
    records.start(record, [JobRecord(name=n, stage=s, when=w) for n, s, w in jobs])
    return record


def run(record: PipelineRecord, name: str, code: int) -> None:
    records.start_job(record, name)
    records.finish_job(record, name, code)


def test_jobs_run_in_order_and_the_pipeline_succeeds_when_all_pass() -> None:
    record = pipeline(("test", "test", "on_success"), ("train", "train", "on_success"))
    assert record.status == "running"
    assert records.next_job(record).name == "test"  # type: ignore[union-attr]
    run(record, "test", 0)
    assert record.status == "running"
    run(record, "train", 0)
    assert record.status == "success"
    assert [j.status for j in record.jobs] == ["success", "success"]
    assert all(j.duration_s is not None and j.duration_s >= 0 for j in record.jobs)


def test_a_failed_job_skips_the_rest_and_fails_the_pipeline_naming_it() -> None:
    record = pipeline(("test", "test", "on_success"), ("build", "build", "on_success"))
    run(record, "test", 2)
    assert record.status == "failed"
    assert [j.status for j in record.jobs] == ["failed", "skipped"]
    assert record.message == "job test failed (exit code 2)"
    assert records.next_job(record) is None


def test_a_manual_job_waits_and_does_not_hold_the_pipeline_up() -> None:
    record = pipeline(("publish", "publish", "on_success"), ("release", "release", "manual"))
    assert record.job("release").status == "manual"
    run(record, "publish", 0)
    assert record.status == "success"
    assert "release" in record.message


def test_cancel_ends_the_running_job_and_those_after_it() -> None:
    record = pipeline(("a", "s1", "on_success"), ("b", "s2", "on_success"))
    records.start_job(record, "a")
    records.cancel(record, "the CI runner stopped")
    assert record.status == "canceled"
    assert [j.status for j in record.jobs] == ["canceled", "canceled"]
    with pytest.raises(TransitionError):
        records.cancel(record, "again")


def test_impossible_transitions_are_refused_by_name() -> None:
    record = pipeline(("a", "s1", "on_success"))
    with pytest.raises(TransitionError, match="not running"):
        records.finish_job(record, "a", 0)
    with pytest.raises(TransitionError, match="not pending"):
        records.start(record, [])
    with pytest.raises(KeyError, match="no job 'nope'"):
        record.job("nope")


def test_a_pipeline_that_cannot_be_planned_fails_with_the_reason() -> None:
    record = PipelineRecord.from_push(Push(id=3, repo="service", sha=SHA))
    records.fail_before_jobs(record, "the commit has no .gitlab-ci.yml")
    assert (record.status, record.message) == ("failed", "the commit has no .gitlab-ci.yml")
    assert record.jobs == []


def test_summary_is_the_contract_shape() -> None:
    record = pipeline(("test", "test", "on_success"))
    summary = record.summary()
    assert {"id", "repo", "sha", "status", "jobs"} <= summary.keys()
    assert summary["sha"] == SHA
    assert summary["jobs"] == [
        {"name": "test", "stage": "test", "status": "created", "duration_s": None}
    ]


@pytest.mark.parametrize(
    "bad",
    [
        {"id": 0, "repo": "model", "sha": SHA},
        {"id": 1, "repo": "Model!", "sha": SHA},
        {"id": 1, "repo": "model", "sha": "abc"},
    ],
)
def test_a_malformed_push_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Push.model_validate(bad)


def test_playing_a_manual_job_runs_the_pipeline_again_until_it_ends() -> None:
    record = pipeline(("publish", "publish", "on_success"), ("release", "release", "manual"))
    with pytest.raises(TransitionError, match="is running; only a successful"):
        records.play(record, "release")
    run(record, "publish", 0)
    records.play(record, "release")
    assert (record.status, record.finished_at, record.job("release").status) == (
        "running",
        None,
        "created",
    )
    run(record, "release", 0)
    assert record.status == "success" and record.message == ""
    with pytest.raises(TransitionError, match="is success, not manual"):
        records.play(record, "release")


def test_a_manual_job_without_its_work_folder_cannot_be_played() -> None:
    record = pipeline(("publish", "publish", "on_success"), ("release", "release", "manual"))
    run(record, "publish", 0)
    with pytest.raises(TransitionError, match="work folder"):
        records.play(record, "release", workdir_kept=False)
