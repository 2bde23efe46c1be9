"""A new pipeline for a branch's head without a push: GitLab's "Run pipeline".

A push is the usual start, but the same commit sometimes has to run again: after
``drydock stack down`` the local cloud forgot what the pipelines published and
deployed (S3 keeps nothing, the emulator's journal is dropped) while the repositories
and their records stay. The demo, or a user, then runs the branch's head again; the
runner takes it like any push (same queue, same id sequence, same order per repository).
"""

from __future__ import annotations

from harness.ci.records import Push
from harness.ci.remote import REPOSITORIES, GitError, git, remote_url
from harness.ci.store import PipelineStore
from harness.errors import DrydockError
from harness.settings import DrydockSettings


def branch_head(settings: DrydockSettings, repo: str, branch: str) -> str:
    """The commit ``branch`` of ``repo`` points at on the git remote."""
    if repo not in REPOSITORIES:
        raise DrydockError(f"no repository {repo!r}; there are {', '.join(REPOSITORIES)}")
    listed = git("ls-remote", remote_url(settings, repo), f"refs/heads/{branch}").split()
    if not listed:
        raise GitError(f"{repo} has no branch {branch!r} on {remote_url(settings, repo)}")
    return listed[0]


def run_branch(
    settings: DrydockSettings, repo: str, branch: str = "main", *, why: str = "run by hand"
) -> Push:
    """Queue a pipeline for the head of ``branch``; ``why`` is shown as who started it."""
    sha = branch_head(settings, repo, branch)
    store = PipelineStore(settings.ci_root)
    push = Push(
        id=store.next_id(),
        repo=repo,
        sha=sha,
        before=sha,
        ref=f"refs/heads/{branch}",
        pushed_by=f"drydock ({why})",
    )
    store.enqueue(push)
    return push
