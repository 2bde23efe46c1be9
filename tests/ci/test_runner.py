"""The runner against a real git repository and a scripted gitlab-ci-local: records
move as jobs end, a failure stops the pipeline, and a restarted runner cancels what
it left running and runs what is still pending."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.ci.gitlab_ci_local import GitlabCiLocal
from harness.ci.job_process import wait_or_stop
from harness.ci.records import JobRecord
from harness.ci.runner import Runner
from harness.ci.store import PipelineFinishedError, PipelineNotFoundError, PipelineStore
from harness.errors import DrydockError
from harness.settings import DrydockSettings
from tests.ci.test_job_process import alive


class ScriptedTool(GitlabCiLocal):
    """Plans two jobs; each job's exit code comes from ``codes``; records what ran where."""

    def __init__(self, codes: dict[str, int], deploy_when: str = "on_success") -> None:
        super().__init__({}, {})
        self.codes = codes
        self.deploy_when = deploy_when
        self.ran: list[tuple[str, str]] = []

    def plan(self, workdir: Path) -> list[JobRecord]:
        return [
            JobRecord(name="test", stage="test"),
            JobRecord(
                name="deploy", stage="deploy", when=self.deploy_when, resource_group="model-server"
            ),
        ]

    def run_job(
        self, workdir: Path, name: str, log: Path, stop: threading.Event | None = None
    ) -> int:
        head = (workdir / "VERSION").read_text().strip()
        self.ran.append((name, head))
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"{name} at {head}\n")
        return self.codes.get(name, 0)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@x", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.fixture
def origin(tmp_path: Path) -> tuple[Path, list[str]]:
    """A repository with two commits; returns it and their shas, oldest first."""
    repo = tmp_path / "service"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shas = []
    for version in ("one", "two"):
        (repo / "VERSION").write_text(version)
        git(repo, "add", "VERSION")
        git(repo, "commit", "-qm", version)
        shas.append(git(repo, "rev-parse", "HEAD"))
    return repo, shas


def enqueue(store: PipelineStore, pid: int, sha: str) -> None:
    store.incoming.mkdir(parents=True, exist_ok=True)
    body = {"id": pid, "repo": "service", "sha": sha}
    (store.incoming / f"{pid}.json").write_text(json.dumps(body))


def run_until_idle(runner: Runner, store: PipelineStore, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        runner.tick()
        if store.all() and all(r.finished for r in store.all()):
            runner.join(timeout_s)
            return
        time.sleep(0.05)
    raise AssertionError([r.summary() for r in store.all()])


def make_runner(tmp_path: Path, origin: Path, tool: ScriptedTool) -> tuple[Runner, PipelineStore]:
    store = PipelineStore(tmp_path / "ci")
    store.ensure()
    runner = Runner(DrydockSettings(), store, tool=tool, url=lambda repo: str(origin))
    return runner, store


def test_each_pushed_commit_runs_in_push_order_at_its_own_sha(
    tmp_path: Path, origin: tuple[Path, list[str]]
) -> None:
    repo, (first, second) = origin
    tool = ScriptedTool({})
    runner, store = make_runner(tmp_path, repo, tool)
    enqueue(store, 1, first)
    enqueue(store, 2, second)
    run_until_idle(runner, store)
    assert tool.ran == [("test", "one"), ("deploy", "one"), ("test", "two"), ("deploy", "two")]
    assert [(r.id, r.status) for r in store.all()] == [(2, "success"), (1, "success")]
    assert store.read_log(2, "deploy") == "deploy at two\n"
    assert not any(store.builds.iterdir()), "work folders are removed after each pipeline"


def test_a_failed_job_stops_its_pipeline(tmp_path: Path, origin: tuple[Path, list[str]]) -> None:
    repo, (first, _) = origin
    tool = ScriptedTool({"test": 1})
    runner, store = make_runner(tmp_path, repo, tool)
    enqueue(store, 1, first)
    run_until_idle(runner, store)
    record = store.load(1)
    assert record.status == "failed"
    assert [(j.name, j.status) for j in record.jobs] == [("test", "failed"), ("deploy", "skipped")]
    assert tool.ran == [("test", "one")]


def test_an_unknown_commit_fails_the_pipeline_saying_so(
    tmp_path: Path, origin: tuple[Path, list[str]]
) -> None:
    repo, _ = origin
    runner, store = make_runner(tmp_path, repo, ScriptedTool({}))
    enqueue(store, 1, "f" * 40)
    run_until_idle(runner, store)
    record = store.load(1)
    assert record.status == "failed" and "git -C" in record.message


def test_a_restarted_runner_cancels_what_ran_and_runs_what_waited(
    tmp_path: Path, origin: tuple[Path, list[str]]
) -> None:
    repo, (first, second) = origin
    _, store = make_runner(tmp_path, repo, ScriptedTool({}))
    enqueue(store, 1, first)
    enqueue(store, 2, second)
    store.ingest()
    interrupted = store.load(1)
    interrupted.status = "running"
    interrupted.jobs = [JobRecord(name="deploy", stage="deploy", status="running")]
    store.save(interrupted)  # what a runner killed mid-deploy leaves behind

    tool = ScriptedTool({})
    restarted, _ = make_runner(tmp_path, repo, tool)
    restarted.recover()
    run_until_idle(restarted, store)
    assert store.load(1).status == "canceled"
    assert store.load(1).message == "the CI runner stopped while this pipeline ran"
    assert store.load(2).status == "success"
    assert tool.ran == [("test", "two"), ("deploy", "two")]


def test_a_manual_job_waits_with_its_work_folder_until_played(
    tmp_path: Path, origin: tuple[Path, list[str]]
) -> None:
    repo, (first, _) = origin
    tool = ScriptedTool({}, deploy_when="manual")
    runner, store = make_runner(tmp_path, repo, tool)
    enqueue(store, 1, first)
    run_until_idle(runner, store)
    assert store.load(1).status == "success"
    assert store.load(1).job("deploy").status == "manual"
    assert tool.ran == [("test", "one")]
    assert (store.builds / "1").is_dir(), "artifacts stay for the manual job"

    store.request_play(1, "deploy")
    run_until_idle(runner, store)
    record = store.load(1)
    assert (record.status, record.job("deploy").status) == ("success", "success")
    assert tool.ran == [("test", "one"), ("deploy", "one")]
    assert not (store.builds / "1").exists()
    with pytest.raises(DrydockError, match="is success, not manual"):
        store.request_play(1, "deploy")


class LongJobTool(ScriptedTool):
    """``test`` is a real process group (a shell and its ``sleep``) that runs until
    stopped; its grandchild's pid is written beside the log."""

    def run_job(
        self, workdir: Path, name: str, log: Path, stop: threading.Event | None = None
    ) -> int:
        self.ran.append((name, (workdir / "VERSION").read_text().strip()))
        log.parent.mkdir(parents=True, exist_ok=True)
        pidfile = log.with_suffix(".pid")
        process = subprocess.Popen(
            ["sh", "-c", f"sleep 120 & echo $! > {pidfile}; wait"], start_new_session=True
        )
        return wait_or_stop(process, stop)


def tick_until(runner: Runner, done: Callable[[], bool], timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, "timed out"
        runner.tick()
        time.sleep(0.05)


def test_a_canceled_pending_pipeline_never_runs(
    tmp_path: Path, origin: tuple[Path, list[str]]
) -> None:
    repo, (first, second) = origin
    tool = ScriptedTool({})
    runner, store = make_runner(tmp_path, repo, tool)
    enqueue(store, 1, first)
    enqueue(store, 2, second)
    store.ingest()
    store.request_cancel(1)
    run_until_idle(runner, store)
    record = store.load(1)
    assert (record.status, record.jobs, record.started_at) == ("canceled", [], None)
    assert record.message == "canceled by drydock pipelines cancel before it started"
    assert store.load(2).status == "success", "the next pipeline of the repository runs"
    assert tool.ran == [("test", "two"), ("deploy", "two")]


def test_a_canceled_running_pipeline_has_its_job_processes_stopped(
    tmp_path: Path, origin: tuple[Path, list[str]]
) -> None:
    repo, (first, _) = origin
    tool = LongJobTool({})
    runner, store = make_runner(tmp_path, repo, tool)
    enqueue(store, 1, first)
    pidfile = store.log_path(1, "test").with_suffix(".pid")
    tick_until(runner, lambda: pidfile.exists() and bool(pidfile.read_text().strip()))
    sleeper = int(pidfile.read_text())
    assert store.load(1).job("test").status == "running"

    store.request_cancel(1)
    began = time.monotonic()
    tick_until(runner, lambda: store.load(1).finished)
    runner.join(10)

    record = store.load(1)
    assert record.status == "canceled"
    assert record.message == "canceled by drydock pipelines cancel while job test ran"
    assert [(j.name, j.status) for j in record.jobs] == [
        ("test", "canceled"),
        ("deploy", "canceled"),
    ]
    assert record.job("test").finished_at is not None
    assert time.monotonic() - began < 8, "stopped at SIGTERM, not after the grace"
    deadline = time.monotonic() + 5
    while alive(sleeper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(sleeper), "the job's own child process was stopped too"
    assert tool.ran == [("test", "one")], "deploy never started"
    assert not (store.builds / "1").exists()


def test_cancel_names_an_unknown_pipeline_and_one_that_already_ended(
    tmp_path: Path, origin: tuple[Path, list[str]]
) -> None:
    repo, (first, _) = origin
    runner, store = make_runner(tmp_path, repo, ScriptedTool({}))
    with pytest.raises(PipelineNotFoundError, match="no pipeline 9"):
        store.request_cancel(9)
    enqueue(store, 1, first)
    run_until_idle(runner, store)
    with pytest.raises(PipelineFinishedError, match="pipeline 1 already ended success"):
        store.request_cancel(1)
    assert list(store.cancels.iterdir()) == []
