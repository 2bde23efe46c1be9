"""The CI runner: takes queued pushes, runs their pipelines, keeps the records.

A host process (``drydock pipelines runner``; ``drydock stack up`` starts it detached)
rather than a container, because jobs need what the host has: the Docker Engine,
``drydock``, the AWS CLI and gitlab-ci-local. Records live in ``<state_dir>/ci``, so
they outlive the runner and the stack; a pipeline that was running when the runner
stopped is marked canceled at the next start, pending ones then run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from harness.ci import records
from harness.ci.checkout import check_out
from harness.ci.gitlab_ci_local import GitlabCiLocal, job_environment
from harness.ci.records import PipelineRecord
from harness.ci.remote import remote_url
from harness.ci.scheduling import ResourceGroups, pipelines_to_start
from harness.ci.store import PipelineStore
from harness.ci.variables import local_cloud_variables
from harness.errors import DrydockError
from harness.settings import DrydockSettings

POLL_S = 0.3
CANCELED = "canceled by drydock pipelines cancel"


class Runner:
    def __init__(
        self,
        settings: DrydockSettings,
        store: PipelineStore,
        tool: GitlabCiLocal | None = None,
        url: Callable[[str], str] | None = None,
    ) -> None:
        """``tool`` and ``url`` (repository name -> clone URL) default to gitlab-ci-local
        and the git remote; tests pass their own."""
        self._settings = settings
        self._store = store
        self._url = url or (lambda repo: remote_url(settings, repo))
        self._groups = ResourceGroups()
        self._active: dict[str, threading.Thread] = {}
        #: Per pipeline being run: set when ``drydock pipelines cancel`` asks to stop it.
        self._cancel: dict[int, threading.Event] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._tool = tool or GitlabCiLocal(
            local_cloud_variables(settings), job_environment(Path(sys.executable).parent)
        )

    def recover(self) -> None:
        """Pipelines left running by a runner that stopped cannot be resumed: cancel them."""
        for record in self._store.all():
            if record.status == "running":
                records.cancel(record, "the CI runner stopped while this pipeline ran")
                self._store.save(record)

    def tick(self) -> None:
        self._store.ingest()
        with self._lock:
            for done in [repo for repo, t in self._active.items() if not t.is_alive()]:
                del self._active[done]
            self._cancel_requested()
            self._play_requested()
            candidates = [r for r in self._store.all() if r.repo not in self._active]
            for record in pipelines_to_start(candidates):
                self._cancel[record.id] = threading.Event()
                thread = threading.Thread(
                    target=self.run_pipeline, args=(record,), name=f"pipeline-{record.id}"
                )
                self._active[record.repo] = thread
                thread.start()

    def serve(self) -> None:
        self.recover()
        while not self._stopping.is_set():
            self.tick()
            self._stopping.wait(POLL_S)

    def stop(self) -> None:
        self._stopping.set()

    def join(self, timeout_s: float = 60.0) -> None:
        """Wait for the pipelines being run to return (each ends its job, cancels the rest)."""
        with self._lock:
            threads = list(self._active.values())
        for thread in threads:
            thread.join(timeout_s)

    def run_pipeline(self, record: PipelineRecord) -> None:
        workdir = self._store.builds / str(record.id)
        cancel = self._cancel.setdefault(record.id, threading.Event())
        try:
            if cancel.is_set():  # asked between this tick's cancels and the thread's start
                records.cancel(record, f"{CANCELED} before it started")
                self._store.save(record)
                return
            self._checkout(record, workdir)
            records.start(record, self._tool.plan(workdir))
        except (DrydockError, subprocess.SubprocessError, OSError) as exc:
            records.fail_before_jobs(record, str(exc))
            self._store.save(record)
            return
        finally:
            if record.finished:
                self._cancel.pop(record.id, None)
        self._store.save(record)
        self._run_jobs(record, workdir)

    def _run_jobs(self, record: PipelineRecord, workdir: Path) -> None:
        """Run the pipeline's created jobs in order; keep the work folder (artifacts
        included) while a manual job waits to be played. A cancel request stops the
        job that runs and ends the pipeline canceled."""
        cancel = self._cancel.setdefault(record.id, threading.Event())
        try:
            while (job := records.next_job(record)) is not None:
                if self._stopping.is_set():
                    records.cancel(record, "the CI runner stopped")
                    break
                if cancel.is_set():
                    records.cancel(record, f"{CANCELED} before job {job.name}")
                    break
                with self._groups.hold(job.resource_group, record.id):
                    if cancel.is_set():  # asked while it waited for its resource group
                        continue
                    records.start_job(record, job.name)
                    self._store.save(record)
                    log = self._store.log_path(record.id, job.name)
                    code = self._tool.run_job(workdir, job.name, log, cancel)
                    if cancel.is_set():
                        records.cancel(record, f"{CANCELED} while job {job.name} ran")
                    else:
                        records.finish_job(record, job.name, code)
                    self._store.save(record)
        finally:
            self._cancel.pop(record.id, None)
            if not record.finished:
                records.cancel(record, "the CI runner stopped")
                self._store.save(record)
            if not any(j.status == "manual" for j in record.jobs) or record.status != "success":
                shutil.rmtree(workdir, ignore_errors=True)

    def _cancel_requested(self) -> None:
        """Apply ``drydock pipelines cancel`` requests (caller holds the lock): a pending
        pipeline is canceled here and never starts; a running one is told to stop."""
        for request in sorted(self._store.cancels.glob("*.json")):
            pipeline_id = int(json.loads(request.read_text())["id"])
            request.unlink()
            try:
                record = self._store.load(pipeline_id)
            except DrydockError as exc:
                (self._store.cancels / f"{pipeline_id}.refused").write_text(str(exc))
                continue
            if pipeline_id in self._cancel:
                self._cancel[pipeline_id].set()  # its thread stops the job and records it
            elif not record.finished:
                records.cancel(record, f"{CANCELED} before it started")
                self._store.save(record)
            else:
                (self._store.cancels / f"{pipeline_id}.refused").write_text(
                    f"pipeline {pipeline_id} already ended {record.status}: nothing to cancel"
                )

    def _play_requested(self) -> None:
        """Start manual jobs asked for by ``drydock pipelines play`` (caller holds the lock)."""
        for request in sorted(self._store.plays.glob("*.json")):
            play = json.loads(request.read_text())
            record = self._store.load(int(play["id"]))
            if record.repo in self._active:
                continue  # after the repository's running pipeline, in order
            request.unlink()
            workdir = self._store.builds / str(record.id)
            try:
                records.play(record, str(play["job"]), workdir_kept=workdir.is_dir())
            except (records.TransitionError, KeyError) as exc:
                (self._store.plays / f"{request.stem}.refused").write_text(str(exc))
                continue
            self._store.save(record)
            self._cancel[record.id] = threading.Event()
            thread = threading.Thread(
                target=self._run_jobs, args=(record, workdir), name=f"play-{record.id}"
            )
            self._active[record.repo] = thread
            thread.start()

    def _checkout(self, record: PipelineRecord, workdir: Path) -> None:
        check_out(
            self._url(record.repo), workdir, record.ref.removeprefix("refs/heads/"), record.sha
        )


def main() -> None:
    """Run until SIGTERM/Ctrl-C; one runner per CI folder (a lock file says who runs)."""
    import fcntl

    from harness.command_line import load_settings

    settings = load_settings()
    store = PipelineStore(settings.ci_root)
    store.ensure()
    lock = (settings.ci_root / "runner.lock").open("a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"a CI runner already runs for {settings.ci_root}", file=sys.stderr)
        raise SystemExit(0) from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    runner = Runner(settings, store)
    signal.signal(signal.SIGTERM, lambda *_: runner.stop())
    print(f"CI runner: {settings.ci_root} (git remote port {settings.git_port})", flush=True)
    try:
        runner.serve()
    except KeyboardInterrupt:
        runner.stop()
    runner.join()


if __name__ == "__main__":
    main()
