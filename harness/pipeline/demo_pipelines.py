"""The demo's push loop: seed the git remote's two repositories once, push, follow.

``make demo`` deploys through the same pipelines a user's push runs: the runner is
started, each repository not seeded yet gets its first commit pushed (its pipeline
queued by the remote's hook), and the demo waits for those pipelines. A repository
already seeded is left as it is: no push, no pipeline, so a second demo changes
nothing; unless the service the pipelines deploy to had to be created or repaired
first (``drydock stack down`` forgot it, or S3 lost the model it pinned): then nothing
the pipelines delivered serves any more, and each seeded repository's ``main`` head
runs again (``rerun``), as "Run pipeline" would on GitLab. Either way the summary
shows the newest pipeline of each repository's ``main``, the one that decided what
serves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.ci.commands import pipelines_of, wait_for
from harness.ci.records import PipelineRecord
from harness.ci.remote import REPOSITORIES, seed
from harness.ci.runner_process import ensure_runner
from harness.ci.store import PipelineStore
from harness.ci.trigger import run_branch
from harness.errors import DrydockError
from harness.settings import DrydockSettings

MAIN = "refs/heads/main"
RERUN_REASON = "demo: the service was new or repaired"


class PipelineFailedError(DrydockError):
    """A pipeline the demo started did not succeed."""


@dataclass(frozen=True)
class DemoPipelines:
    #: Repositories this run seeded (empty on a second run).
    seeded: tuple[str, ...]
    #: Per repository, the newest pipeline of ``main`` (None: the records are gone).
    newest: dict[str, PipelineRecord | None]
    #: Seeded repositories whose ``main`` head this run ran again.
    rerun: tuple[str, ...] = ()


def newest_on_main(records: list[PipelineRecord], repo: str) -> PipelineRecord | None:
    """The newest pipeline of ``repo``'s ``main``; records come newest first."""
    return next((r for r in records if r.repo == repo and r.ref == MAIN), None)


def seed_and_wait(
    settings: DrydockSettings,
    on_progress: Callable[[str], None] = lambda _: None,
    timeout_s: float = 900.0,
    rerun: bool = False,
) -> DemoPipelines:
    """Start the runner, seed and push what is not seeded yet, wait for those pipelines.

    With ``rerun`` a repository already seeded runs its ``main`` head again (the caller
    knows that what its pipelines delivered is gone). Raises
    :class:`PipelineFailedError` naming the failed jobs (and how to read their logs)
    when a pipeline started here does not succeed.
    """
    ensure_runner(settings)
    store = PipelineStore(settings.ci_root)
    seeded: list[str] = []
    again: list[str] = []
    started: list[int] = []
    for repo in REPOSITORIES:
        on_progress(f"seeding {repo}")
        outcome = seed(settings, repo)
        if outcome is None and rerun:
            on_progress(f"running {repo}'s main again: what it delivered is gone")
            started.append(run_branch(settings, repo, "main", why=RERUN_REASON).id)
            again.append(repo)
            continue
        if outcome is None:
            continue
        sha, ids = outcome
        seeded.append(repo)
        started += ids or pipelines_of(store, sha)
    if started:
        on_progress(f"waiting for pipelines {', '.join(map(str, started))}")
        finished = wait_for(store, started, timeout_s)
        failed = [r for r in finished if r.status != "success"]
        if failed:
            raise PipelineFailedError("; ".join(_why(r) for r in failed))
    records = store.all()
    return DemoPipelines(
        tuple(seeded),
        {repo: newest_on_main(records, repo) for repo in REPOSITORIES},
        tuple(again),
    )


def _why(record: PipelineRecord) -> str:
    jobs = [j.name for j in record.jobs if j.status == "failed"]
    return (
        f"the {record.repo} pipeline {record.id} {record.status}"
        + (f" at {', '.join(jobs)}" if jobs else "")
        + f" (drydock pipelines logs {record.id})"
    )
