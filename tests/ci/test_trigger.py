"""``drydock pipelines run``: a pipeline for a branch's head, against a real bare git
repository standing in for the git remote (``remote_url`` pointed at it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.ci import trigger
from harness.ci.store import PipelineStore
from harness.errors import DrydockError
from harness.settings import DrydockSettings
from tests.ci.test_runner import git


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DrydockSettings:
    """A bare ``model`` repository whose ``main`` has one commit."""
    bare = tmp_path / "model.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    work = tmp_path / "work"
    git(tmp_path, "init", "-q", "-b", "main", str(work))
    (work / "params.json").write_text("{}\n")
    git(work, "add", ".")
    git(work, "commit", "-qm", "seed")
    git(work, "push", "-q", str(bare), "main")
    monkeypatch.setattr(trigger, "remote_url", lambda _, repo: str(tmp_path / f"{repo}.git"))
    return DrydockSettings(ci_dir=tmp_path / "ci")


def test_a_run_queues_the_branch_head_as_a_push_would(
    settings: DrydockSettings, tmp_path: Path
) -> None:
    head = git(tmp_path / "work", "rev-parse", "HEAD")
    push = trigger.run_branch(settings, "model", "main", why="after a stack down")
    (record,) = PipelineStore(settings.ci_root).ingest()
    assert (record.id, record.sha, record.ref, record.status) == (
        push.id,
        head,
        "refs/heads/main",
        "pending",
    )
    assert record.pushed_by == "drydock (after a stack down)"


def test_an_unknown_branch_or_repository_is_named(settings: DrydockSettings) -> None:
    with pytest.raises(DrydockError, match="model has no branch 'trunk'"):
        trigger.run_branch(settings, "model", "trunk")
    with pytest.raises(DrydockError, match="no repository 'billing'; there are model, service"):
        trigger.run_branch(settings, "billing")
    assert PipelineStore(settings.ci_root).ingest() == [], "nothing was queued"
