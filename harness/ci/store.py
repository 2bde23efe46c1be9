"""Pipeline records on disk: one JSON file per pipeline, one log file per job.

A folder of the host (``<state_dir>/ci``) shared with the git remote's container:
the post-receive hook drops pushes in ``incoming/``; the runner turns each into a
record in ``pipelines/`` and writes logs in ``logs/<id>/``. Writes are atomic
(write then rename), so a reader never sees half a record and a runner stopped at
any moment leaves every record readable.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from pydantic import ValidationError

from harness.ci.records import PipelineRecord, Push
from harness.errors import DrydockError


class PipelineNotFoundError(DrydockError):
    """No pipeline (or job log) with that id."""


class PipelineFinishedError(DrydockError):
    """The pipeline already ended (success, failed or canceled): it cannot be canceled."""


class PipelineStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.incoming = root / "incoming"
        self.rejected = root / "incoming" / "rejected"
        self.records = root / "pipelines"
        self.logs = root / "logs"
        self.builds = root / "builds"
        self.plays = root / "play"
        self.cancels = root / "cancel"

    def ensure(self) -> None:
        for folder in (
            self.incoming,
            self.rejected,
            self.records,
            self.logs,
            self.builds,
            self.plays,
            self.cancels,
        ):
            folder.mkdir(parents=True, exist_ok=True)

    def save(self, record: PipelineRecord) -> None:
        self.records.mkdir(parents=True, exist_ok=True)
        path = self.records / f"{record.id}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(record.model_dump_json(indent=1))
        os.replace(tmp, path)

    def load(self, pipeline_id: int) -> PipelineRecord:
        path = self.records / f"{pipeline_id}.json"
        try:
            return PipelineRecord.model_validate_json(path.read_text())
        except FileNotFoundError as exc:
            known = ", ".join(str(r.id) for r in self.all()[:10]) or "none yet"
            raise PipelineNotFoundError(
                f"no pipeline {pipeline_id} in {self.records} (newest: {known})"
            ) from exc

    def all(self) -> list[PipelineRecord]:
        """Every record, newest (highest id) first; an unreadable file is left out."""
        found = []
        for path in self.records.glob("*.json") if self.records.is_dir() else []:
            try:
                found.append(PipelineRecord.model_validate_json(path.read_text()))
            except (OSError, ValidationError):
                continue
        return sorted(found, key=lambda r: r.id, reverse=True)

    def ingest(self) -> list[PipelineRecord]:
        """Turn queued pushes into pending records, in push order.

        A push file that does not validate is moved to ``incoming/rejected/`` with a
        ``.why`` file naming what was wrong; nothing else is lost.
        """
        created = []
        paths = self.incoming.glob("*.json") if self.incoming.is_dir() else []
        # pathlib's "*" matches dot-files too: ".<id>.json" is the hook's file still being
        # written (it is renamed into place when complete), never a push to take yet.
        queued = [p for p in paths if not p.name.startswith(".")]
        for path in sorted(queued, key=lambda p: (len(p.stem), p.stem)):
            try:
                push = Push.model_validate_json(path.read_text())
            except ValidationError as exc:
                self.rejected.mkdir(parents=True, exist_ok=True)
                (self.rejected / f"{path.name}.why").write_text(str(exc))
                os.replace(path, self.rejected / path.name)
                continue
            if not (self.records / f"{push.id}.json").exists():
                record = PipelineRecord.from_push(push)
                self.save(record)
                created.append(record)
            path.unlink()
        return created

    def next_id(self) -> int:
        """The next pipeline id, from the sequence the git remote's hook counts with.

        Same file, same lock (``flock`` on ``.sequence.lock``; the hook runs ``flock(1)``
        on the folder it mounts), so ids from a push and from a run never collide.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".sequence.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            sequence = self.root / ".sequence"
            text = sequence.read_text().strip() if sequence.exists() else ""
            number = int(text or 0) + 1
            sequence.write_text(f"{number}\n")
            return number

    def enqueue(self, push: Push) -> Path:
        """Queue a pipeline the way the hook does (write aside, rename into place)."""
        self.incoming.mkdir(parents=True, exist_ok=True)
        path = self.incoming / f"{push.id}.json"
        writing = self.incoming / f".{push.id}.json"
        writing.write_text(push.model_dump_json())
        os.replace(writing, path)
        return path

    def request_play(self, pipeline_id: int, job: str) -> Path:
        """Ask the runner to run a manual job; refused at once if it is not one."""
        record = self.load(pipeline_id)
        if record.job(job).status != "manual":
            raise DrydockError(
                f"job {job} of pipeline {pipeline_id} is {record.job(job).status}, not manual"
            )
        self.plays.mkdir(parents=True, exist_ok=True)
        path = self.plays / f"{pipeline_id}-{job}.json"
        path.write_text(json.dumps({"id": pipeline_id, "job": job}))
        return path

    def request_cancel(self, pipeline_id: int) -> Path:
        """Ask the runner to cancel a pipeline; refused at once if it already ended.

        Only the runner writes records while it may run a pipeline, so a cancel is a
        request it takes on its next tick: a pending pipeline never starts, a running
        one has its job stopped (:mod:`harness.ci.job_process`).
        """
        record = self.load(pipeline_id)
        if record.finished:
            raise PipelineFinishedError(
                f"pipeline {pipeline_id} already ended {record.status}: nothing to cancel"
            )
        self.cancels.mkdir(parents=True, exist_ok=True)
        path = self.cancels / f"{pipeline_id}.json"
        path.write_text(json.dumps({"id": pipeline_id}))
        return path

    def log_path(self, pipeline_id: int, job: str) -> Path:
        return self.logs / str(pipeline_id) / f"{job}.log"

    def read_log(self, pipeline_id: int, job: str) -> str:
        path = self.log_path(pipeline_id, job)
        try:
            return path.read_text(errors="replace")
        except FileNotFoundError as exc:
            raise PipelineNotFoundError(
                f"no log for job {job!r} of pipeline {pipeline_id}"
            ) from exc
