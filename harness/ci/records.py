"""Pipeline and job records and the rules by which their statuses move.

GitLab's words: a pipeline is pending until the runner takes it, running while a job
runs, then success, failed or canceled. A job after a failed one is skipped; a job
whose rules say ``when: manual`` waits as manual and does not hold the pipeline up.
Pure: the runner decides nothing itself, it reports outcomes here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from harness.errors import DrydockError


class UnknownJobError(DrydockError, KeyError):
    """The pipeline has no job of that name."""

    def __str__(self) -> str:
        return str(self.args[0])


PipelineStatus = Literal["pending", "running", "success", "failed", "canceled"]
JobStatus = Literal["created", "running", "success", "failed", "canceled", "skipped", "manual"]
FINISHED: frozenset[str] = frozenset({"success", "failed", "canceled"})


def now() -> datetime:
    return datetime.now(UTC)


class Push(BaseModel):
    """What the git remote's post-receive hook enqueues: one pushed branch head."""

    id: int = Field(ge=1)
    repo: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    sha: str = Field(pattern=r"^[0-9a-f]{40}$")
    before: str = Field(default="0" * 40, pattern=r"^[0-9a-f]{40}$")
    ref: str = "refs/heads/main"
    pushed_by: str = ""
    pushed_at: datetime = Field(default_factory=now)

    @property
    def branch(self) -> str:
        return self.ref.removeprefix("refs/heads/")


class JobRecord(BaseModel):
    name: str
    stage: str
    when: str = "on_success"
    resource_group: str | None = None
    status: JobStatus = "created"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    exit_code: int | None = None

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at or now()
        return round((end - self.started_at).total_seconds(), 3)

    def summary(self) -> dict[str, object]:
        """The contract's job shape (``drydock pipelines list --json``)."""
        return {
            "name": self.name,
            "stage": self.stage,
            "status": self.status,
            "duration_s": self.duration_s,
        }


class PipelineRecord(BaseModel):
    id: int
    repo: str
    sha: str
    ref: str
    before: str
    pushed_by: str
    pushed_at: datetime
    status: PipelineStatus = "pending"
    created_at: datetime = Field(default_factory=now)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    message: str = ""
    jobs: list[JobRecord] = Field(default_factory=list)

    @classmethod
    def from_push(cls, push: Push) -> PipelineRecord:
        return cls(
            id=push.id,
            repo=push.repo,
            sha=push.sha,
            ref=push.ref,
            before=push.before,
            pushed_by=push.pushed_by,
            pushed_at=push.pushed_at,
        )

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None:
            return None
        return round(((self.finished_at or now()) - self.started_at).total_seconds(), 3)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def job(self, name: str) -> JobRecord:
        for job in self.jobs:
            if job.name == name:
                return job
        raise UnknownJobError(
            f"pipeline {self.id} has no job {name!r} ({[j.name for j in self.jobs]})"
        )

    def summary(self) -> dict[str, object]:
        """The contract's pipeline shape, plus who pushed and when."""
        return {
            "id": self.id,
            "repo": self.repo,
            "sha": self.sha,
            "ref": self.ref,
            "status": self.status,
            "pushed_by": self.pushed_by,
            "pushed_at": self.pushed_at.isoformat(),
            "duration_s": self.duration_s,
            "message": self.message,
            "jobs": [job.summary() for job in self.jobs],
        }


class TransitionError(ValueError):
    """A status change the rules do not allow (a bug in the caller, named precisely)."""


def start(pipeline: PipelineRecord, jobs: list[JobRecord]) -> None:
    """The runner took the pipeline and planned its jobs (stage order)."""
    if pipeline.status != "pending":
        raise TransitionError(f"pipeline {pipeline.id} is {pipeline.status}, not pending")
    pipeline.status = "running"
    pipeline.started_at = now()
    pipeline.jobs = jobs
    for job in pipeline.jobs:
        if job.when == "manual":
            job.status = "manual"


def next_job(pipeline: PipelineRecord) -> JobRecord | None:
    """The next job to run: the first created one, in stage order, while nothing failed."""
    if pipeline.status != "running":
        return None
    return next((job for job in pipeline.jobs if job.status == "created"), None)


def start_job(pipeline: PipelineRecord, name: str) -> JobRecord:
    job = pipeline.job(name)
    if pipeline.status != "running" or job.status != "created":
        raise TransitionError(
            f"job {name} of pipeline {pipeline.id} cannot start: pipeline {pipeline.status}, "
            f"job {job.status}"
        )
    job.status = "running"
    job.started_at = now()
    return job


def finish_job(pipeline: PipelineRecord, name: str, exit_code: int) -> None:
    """Record a job's end; a failure skips the rest and fails the pipeline."""
    job = pipeline.job(name)
    if job.status != "running":
        raise TransitionError(f"job {name} of pipeline {pipeline.id} is {job.status}, not running")
    job.exit_code = exit_code
    job.finished_at = now()
    job.status = "success" if exit_code == 0 else "failed"
    if job.status == "failed":
        for later in pipeline.jobs:
            if later.status == "created":
                later.status = "skipped"
        _finish(pipeline, "failed", f"job {name} failed (exit code {exit_code})")
    elif next_job(pipeline) is None:
        manual = [j.name for j in pipeline.jobs if j.status == "manual"]
        _finish(pipeline, "success", f"manual jobs waiting: {', '.join(manual)}" if manual else "")


def play(pipeline: PipelineRecord, name: str, *, workdir_kept: bool = True) -> None:
    """Run a manual job (GitLab's "play"): the pipeline runs again until it ends."""
    job = pipeline.job(name)
    if job.status != "manual":
        raise TransitionError(f"job {name} of pipeline {pipeline.id} is {job.status}, not manual")
    if pipeline.status != "success":
        raise TransitionError(
            f"pipeline {pipeline.id} is {pipeline.status}; only a successful "
            "pipeline's manual jobs can be played"
        )
    if not workdir_kept:
        raise TransitionError(f"pipeline {pipeline.id}'s work folder (its artifacts) is gone")
    job.status = "created"
    pipeline.status = "running"
    pipeline.finished_at = None
    pipeline.message = ""


def fail_before_jobs(pipeline: PipelineRecord, reason: str) -> None:
    """The pipeline could not be planned (no .gitlab-ci.yml, invalid YAML, clone failed)."""
    if pipeline.status == "pending":
        pipeline.started_at = now()
    pipeline.status = "running"
    _finish(pipeline, "failed", reason)


def cancel(pipeline: PipelineRecord, reason: str) -> None:
    """Stop a pipeline that has not finished: its running job and those after it end canceled."""
    if pipeline.finished:
        raise TransitionError(f"pipeline {pipeline.id} already ended {pipeline.status}")
    for job in pipeline.jobs:
        if job.status in ("created", "running"):
            if job.status == "running":
                job.finished_at = now()
            job.status = "canceled"
    _finish(pipeline, "canceled", reason)


def _finish(pipeline: PipelineRecord, status: PipelineStatus, message: str) -> None:
    pipeline.status = status
    pipeline.finished_at = now()
    pipeline.message = message
