"""The seeded repositories' pipelines as the real gitlab-ci-local plans them (Node, no
docker): the stages the README promises, the resource group, and ``RELEASE_MANUAL``
turning ``release`` into a manual job."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harness.ci.gitlab_ci_local import GitlabCiLocal
from harness.ci.remote import assemble, commit_all
from harness.errors import DrydockError


def seeded(repo: str, root: Path) -> Path:
    target = root / repo
    target.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=target, check=True)
    assemble(repo, target)
    commit_all(target, "seed")
    return target


def plan(workdir: Path, **variables: str) -> list[tuple[str, str, str, str | None]]:
    tool = GitlabCiLocal(variables, dict(os.environ))
    return [(j.name, j.stage, j.when, j.resource_group) for j in tool.plan(workdir)]


def test_the_model_pipeline_tests_trains_gates_publishes_and_releases(tmp_path: Path) -> None:
    assert plan(seeded("model", tmp_path)) == [
        ("test", "test", "on_success", None),
        ("train", "train", "on_success", None),
        ("evaluate", "evaluate", "on_success", None),
        ("publish", "publish", "on_success", None),
        ("release", "release", "on_success", "model-server"),
    ]


def test_release_manual_makes_release_a_manual_job(tmp_path: Path) -> None:
    jobs = plan(seeded("model", tmp_path), RELEASE_MANUAL="true")
    assert jobs[-1] == ("release", "release", "manual", "model-server")


def test_the_service_pipeline_tests_builds_pushes_and_deploys(tmp_path: Path) -> None:
    assert plan(seeded("service", tmp_path)) == [
        ("test", "test", "on_success", None),
        ("build", "build", "on_success", None),
        ("push", "push", "on_success", None),
        ("deploy", "deploy", "on_success", "model-server"),
    ]


def test_the_service_seed_carries_serving_and_tests_that_need_only_serving(
    tmp_path: Path,
) -> None:
    target = seeded("service", tmp_path)
    assert (target / "serving" / "Dockerfile").is_file()
    assert (target / "tests" / "conftest.py").is_file()
    assert not list(target.rglob("__pycache__"))
    for test in (target / "tests").glob("*.py"):
        assert "harness" not in test.read_text(), f"{test.name} needs Drydock itself"


def test_an_unknown_repository_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(DrydockError, match="no repository 'billing'"):
        assemble("billing", tmp_path)
