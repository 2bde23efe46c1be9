"""The local git remote as a user sees it: URLs, and the one-time seeding of its repos.

Seeds are assembled from this checkout instead of kept as twins: the ``model``
repository gets :mod:`harness.model.training` as its ``training.py``; the ``service``
repository gets ``serving/`` (code, Dockerfile, requirements) and the serving tests
that need nothing but ``serving``. Only the files a template folder adds
(``.gitlab-ci.yml``, parameters, the training tests) live under ``templates/``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness.errors import DrydockError
from harness.settings import REPO_ROOT, DrydockSettings

REPOSITORIES = ("model", "service")
TEMPLATES = Path(__file__).resolve().parent / "templates"
SEED_AUTHOR = ("Drydock seed", "seed@drydock.invalid")
#: Serving tests that exercise ``serving`` alone, fast enough for every push.
SERVICE_TESTS = (
    "__init__.py",
    "conftest.py",
    "oip_spec.py",
    "test_serving_endpoints.py",
    "test_oip_conformance.py",
    "test_serving_lifecycle.py",
    "test_serving_bad_input.py",
)
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".wheelhouse", ".pytest_cache")
GITIGNORE = "build/\n.gitlab-ci-local/\n__pycache__/\n"


class GitError(DrydockError):
    """A git command against the local remote failed."""


def remote_url(settings: DrydockSettings, repo: str) -> str:
    return f"git://{settings.host}:{settings.git_port}/{repo}.git"


def remotes(settings: DrydockSettings) -> dict[str, str]:
    return {repo: remote_url(settings, repo) for repo in REPOSITORIES}


def git(*args: str, cwd: Path | None = None, timeout: float = 120) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise GitError(f"git {' '.join(args[:2])} failed: {result.stderr.strip()[-400:]}")
    return result.stdout + result.stderr


def assemble(repo: str, target: Path) -> None:
    """Write the seed content of ``repo`` into ``target``."""
    if repo not in REPOSITORIES:
        raise DrydockError(f"no repository {repo!r}; there are {', '.join(REPOSITORIES)}")
    shutil.copytree(TEMPLATES / repo, target, dirs_exist_ok=True, ignore=IGNORED)
    if repo == "model":
        shutil.copy2(REPO_ROOT / "harness" / "model" / "training.py", target / "training.py")
    else:
        shutil.copytree(REPO_ROOT / "serving", target / "serving", ignore=IGNORED)
        tests = target / "tests"
        tests.mkdir(exist_ok=True)
        for name in SERVICE_TESTS:
            shutil.copy2(REPO_ROOT / "tests" / "serving" / name, tests / name)
    (target / ".gitignore").write_text(GITIGNORE)


def is_seeded(settings: DrydockSettings, repo: str) -> bool:
    return bool(git("ls-remote", remote_url(settings, repo), "refs/heads/main").strip())


def commit_all(workdir: Path, message: str) -> str:
    name, email = SEED_AUTHOR
    git("add", "--all", cwd=workdir)
    identity = ["-c", f"user.name={name}", "-c", f"user.email={email}"]
    git(*identity, "commit", "-qm", message, cwd=workdir)
    return git("rev-parse", "HEAD", cwd=workdir).strip()


def seed(settings: DrydockSettings, repo: str) -> tuple[str, list[int]] | None:
    """Push the seed of ``repo`` once; None when it already has a ``main`` branch.

    Returns the pushed commit and the pipeline ids the remote announced.
    """
    if is_seeded(settings, repo):
        return None
    with tempfile.TemporaryDirectory(prefix=f"drydock-seed-{repo}-") as tmp:
        workdir = Path(tmp)
        git("init", "-q", "-b", "main", cwd=workdir)
        assemble(repo, workdir)
        sha = commit_all(workdir, f"Seed the {repo} repository from Drydock")
        output = git("push", remote_url(settings, repo), "main", cwd=workdir)
    return sha, announced_pipelines(output)


def announced_pipelines(push_output: str) -> list[int]:
    """Pipeline ids the post-receive hook printed (``remote: drydock: pipeline N queued``)."""
    return [int(n) for n in re.findall(r"drydock: pipeline (\d+) queued", push_output)]
