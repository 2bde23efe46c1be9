"""The demo's push loop on a records folder: seed what is not seeded, wait, summarise.

Seeding (git) and the runner are replaced by a stand-in remote that records pushes and,
like the runner, writes each pushed commit's finished pipeline into the store.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from harness.ci import records
from harness.ci.records import JobRecord, PipelineRecord, Push
from harness.ci.store import PipelineStore
from harness.pipeline import demo_pipelines
from harness.pipeline.demo import pipelines_table
from harness.pipeline.demo_pipelines import PipelineFailedError, seed_and_wait
from harness.settings import DrydockSettings

JOBS = {"model": ["test", "train", "evaluate", "publish", "release"], "service": ["test", "build"]}


def finished(
    pid: int, repo: str, sha: str, failing: str | None = None, ref: str = "main"
) -> PipelineRecord:
    record = PipelineRecord.from_push(Push(id=pid, repo=repo, sha=sha, ref=f"refs/heads/{ref}"))
    records.start(record, [JobRecord(name=n, stage=n) for n in JOBS[repo]])
    while (job := records.next_job(record)) is not None:
        records.start_job(record, job.name)
        records.finish_job(record, job.name, 1 if job.name == failing else 0)
    return record


class Remote:
    """Seeds once per repository; each push's pipeline is finished by the 'runner'."""

    def __init__(self, store: PipelineStore, failing: dict[str, str] | None = None) -> None:
        self.store, self.failing = store, failing or {}
        self.seeded: set[str] = set()
        self.pushes: list[str] = []

    def seed(self, _: DrydockSettings, repo: str) -> tuple[str, list[int]] | None:
        if repo in self.seeded:
            return None
        self.seeded.add(repo)
        self.pushes.append(repo)
        pid = len(self.store.all()) + 1
        sha = f"{pid:x}" * 40
        self.store.save(finished(pid, repo, sha[:40], self.failing.get(repo)))
        return sha[:40], [pid]


@pytest.fixture
def settings(tmp_path: Path) -> DrydockSettings:
    return DrydockSettings(ci_dir=tmp_path / "ci")


@pytest.fixture
def remote(settings: DrydockSettings, monkeypatch: pytest.MonkeyPatch) -> Remote:
    store = PipelineStore(settings.ci_root)
    store.ensure()
    here = Remote(store)
    monkeypatch.setattr(demo_pipelines, "seed", here.seed)
    monkeypatch.setattr(demo_pipelines, "ensure_runner", lambda _: 4242)
    return here


def test_first_run_seeds_both_and_second_run_pushes_nothing(
    settings: DrydockSettings, remote: Remote
) -> None:
    first = seed_and_wait(settings)
    second = seed_and_wait(settings)

    assert first.seeded == ("model", "service") and remote.pushes == ["model", "service"]
    assert second.seeded == () and remote.pushes == ["model", "service"]
    assert {repo: r.id for repo, r in second.newest.items() if r} == {"model": 1, "service": 2}
    assert all(r is not None and r.status == "success" for r in first.newest.values())


def test_the_newest_pipeline_of_main_is_shown_not_a_branchs(
    settings: DrydockSettings, remote: Remote
) -> None:
    seed_and_wait(settings)
    remote.store.save(finished(3, "service", "c" * 40, failing="build", ref="broken"))
    remote.store.save(finished(4, "model", "d" * 40))

    newest = seed_and_wait(settings).newest

    assert newest["service"] is not None and newest["service"].id == 2
    assert newest["model"] is not None and newest["model"].id == 4


def test_a_failed_seed_pipeline_fails_the_demo_naming_the_job_and_its_logs(
    settings: DrydockSettings, remote: Remote
) -> None:
    remote.failing = {"service": "build"}
    with pytest.raises(PipelineFailedError) as raised:
        seed_and_wait(settings)
    assert str(raised.value) == (
        "the service pipeline 2 failed at build (drydock pipelines logs 2)"
    )


def test_the_summary_table_shows_each_pipeline_with_its_jobs_and_durations(
    settings: DrydockSettings, remote: Remote
) -> None:
    pipelines = seed_and_wait(settings)
    console = Console(record=True, width=200)
    console.print(pipelines_table(pipelines))
    text = console.export_text()

    lines = text.splitlines()
    for repo, record in pipelines.newest.items():
        assert record is not None
        assert any(f"#{record.id}" in line and repo in line and "success" in line for line in lines)
        for job in record.jobs:
            row = next(line for line in lines if f" {job.name} " in line and job.stage in line)
            assert "success" in row and f"{job.duration_s:.1f}" in row


def test_rerun_runs_each_seeded_repositorys_main_again_and_waits_for_it(
    settings: DrydockSettings, remote: Remote, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a stack down the service is new: the demo runs main's head again."""
    seed_and_wait(settings)
    ran: list[tuple[str, str, str]] = []

    def run_branch(_: DrydockSettings, repo: str, branch: str, *, why: str) -> Push:
        ran.append((repo, branch, why))
        pid = len(remote.store.all()) + 1
        remote.store.save(finished(pid, repo, f"{pid:x}" * 40))
        return Push(id=pid, repo=repo, sha=f"{pid:x}" * 40)

    monkeypatch.setattr(demo_pipelines, "run_branch", run_branch)

    quiet = seed_and_wait(settings)
    assert ran == []
    again = seed_and_wait(settings, rerun=True)

    assert quiet.rerun == ()
    assert [(repo, branch) for repo, branch, _ in ran] == [("model", "main"), ("service", "main")]
    assert again.seeded == () and again.rerun == ("model", "service")
    assert {repo: r.id for repo, r in again.newest.items() if r} == {"model": 3, "service": 4}
    assert remote.pushes == ["model", "service"], "nothing was pushed again"


def test_rerun_on_a_first_run_only_seeds(
    settings: DrydockSettings, remote: Remote, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        demo_pipelines, "run_branch", lambda *_, **__: pytest.fail("nothing to run again")
    )
    first = seed_and_wait(settings, rerun=True)
    assert first.seeded == ("model", "service") and first.rerun == ()
