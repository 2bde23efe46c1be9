"""The work folder of a pipeline: a clone of the git remote at the pushed commit.

Checked out as the pushed branch (``git checkout -B <branch> <sha>``) from a clone that
keeps ``origin/HEAD``: gitlab-ci-local reads ``CI_COMMIT_BRANCH`` from the checked-out
branch and ``CI_DEFAULT_BRANCH`` from ``origin/HEAD`` (``git symbolic-ref
refs/remotes/origin/HEAD``, the remote's own HEAD, ``main`` for Drydock's repositories),
so the templates' ``rules: - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH`` see what they
would see on GitLab.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from harness.errors import DrydockError


def check_out(url: str, workdir: Path, branch: str, sha: str) -> None:
    """A fresh clone of ``url`` in ``workdir`` with ``branch`` at ``sha`` checked out."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.parent.mkdir(parents=True, exist_ok=True)
    for command in (
        ["git", "clone", "--quiet", "--no-checkout", url, str(workdir)],
        ["git", "-C", str(workdir), "checkout", "--quiet", "-B", branch, sha],
    ):
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise DrydockError(f"{' '.join(command[:3])} failed: {result.stderr.strip()}")
