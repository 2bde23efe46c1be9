"""The seeded repositories' pipelines as the real gitlab-ci-local plans them (Node, no
docker): the stages the README promises, the resource group, ``RELEASE_MANUAL``
turning ``release`` into a manual job, and only the default branch publishing and
deploying, checked out the way the runner checks out a push (a clone of a bare remote,
the pushed branch at the pushed commit)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harness.ci.checkout import check_out
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


def pushed(repo: str, root: Path, branch: str, default: str = "main") -> Path:
    """``repo``'s seed pushed to ``branch`` of a bare remote whose HEAD is ``default``,
    then checked out as the runner checks out that push."""
    root.mkdir(parents=True, exist_ok=True)
    source = seeded(repo, root)
    remote = root / f"{repo}.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", default, str(remote)], check=True)
    for ref in {default, branch}:
        subprocess.run(
            ["git", "push", "-q", str(remote), f"HEAD:refs/heads/{ref}"], cwd=source, check=True
        )
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=source, check=True, capture_output=True, text=True
    ).stdout.strip()
    workdir = root / "builds" / repo
    check_out(str(remote), workdir, branch, sha)
    return workdir


def names(workdir: Path, **variables: str) -> list[str]:
    return [name for name, *_ in plan(workdir, **variables)]


def test_a_feature_branch_of_model_tests_trains_and_evaluates_only(tmp_path: Path) -> None:
    assert names(pushed("model", tmp_path, "feature")) == ["test", "train", "evaluate"]
    assert names(pushed("model", tmp_path / "m", "main")) == [
        "test",
        "train",
        "evaluate",
        "publish",
        "release",
    ]


def test_a_feature_branch_of_service_tests_and_builds_only(tmp_path: Path) -> None:
    assert names(pushed("service", tmp_path, "feature")) == ["test", "build"]
    assert names(pushed("service", tmp_path / "s", "main")) == [
        "test",
        "build",
        "push",
        "deploy",
    ]


def test_release_manual_on_a_feature_branch_still_releases_nothing(tmp_path: Path) -> None:
    assert names(pushed("model", tmp_path, "feature"), RELEASE_MANUAL="true") == [
        "test",
        "train",
        "evaluate",
    ]
    main = plan(pushed("model", tmp_path / "m", "main"), RELEASE_MANUAL="true")
    assert main[-1] == ("release", "release", "manual", "model-server")


def test_the_default_branch_is_the_remotes_head_not_the_name_main(tmp_path: Path) -> None:
    """gitlab-ci-local takes ``CI_DEFAULT_BRANCH`` from ``origin/HEAD``: a remote whose
    HEAD is ``trunk`` deploys from ``trunk``, and ``main`` is then a feature branch."""
    trunk = pushed("service", tmp_path, "trunk", default="trunk")
    assert names(trunk) == ["test", "build", "push", "deploy"]
    main = pushed("service", tmp_path / "t", "main", default="trunk")
    assert names(main) == ["test", "build"]
