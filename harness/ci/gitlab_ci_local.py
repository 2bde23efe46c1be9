"""The runner's hands: ``gitlab-ci-local`` (npm, pinned in ``ci/package-lock.json``).

It reads the repository's own ``.gitlab-ci.yml``, evaluates its rules and runs each job
with the shell executor; Drydock only asks it which jobs there are and runs them one
by one, so each job's status, duration and log are known as they happen. Artifacts
pass between jobs through its state folder, as on GitLab.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path

import yaml

from harness.ci.job_process import wait_or_stop
from harness.ci.records import JobRecord
from harness.errors import DrydockError
from harness.settings import REPO_ROOT

VERSION = "4.70.1"
INSTALL_DIR = REPO_ROOT / "ci"


class RunnerToolError(DrydockError):
    """gitlab-ci-local is missing, or refused the pipeline file."""


def binary() -> Path:
    path = INSTALL_DIR / "node_modules" / ".bin" / "gitlab-ci-local"
    if not path.exists():
        raise RunnerToolError(
            f"gitlab-ci-local {VERSION} is not installed: run `npm ci --prefix {INSTALL_DIR}`"
            " (scripts/ensure-tools.sh does it)"
        )
    if shutil.which("rsync") is None:
        raise RunnerToolError("gitlab-ci-local needs rsync: apt-get install rsync")
    return path


class GitlabCiLocal:
    def __init__(self, variables: Mapping[str, str], environment: Mapping[str, str]) -> None:
        self._variables = dict(variables)
        self._environment = dict(environment)

    def _command(self, *args: str) -> list[str]:
        command = [str(binary()), *args, "--no-color", "--force-shell-executor"]
        for key, value in sorted(self._variables.items()):
            command += ["--variable", f"{key}={value}"]
        return command

    def _run(self, workdir: Path, *args: str) -> str:
        result = subprocess.run(
            self._command(*args),
            cwd=workdir,
            env=self._environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            tail = " | ".join((result.stderr or result.stdout).strip().splitlines()[-4:])
            raise RunnerToolError(f"gitlab-ci-local {' '.join(args)} failed: {tail}")
        return result.stdout

    def plan(self, workdir: Path) -> list[JobRecord]:
        """The jobs in stage order, with their rules evaluated and their resource group."""
        if not (workdir / ".gitlab-ci.yml").exists():
            raise RunnerToolError("the commit has no .gitlab-ci.yml")
        listed = self._run(workdir, "--list-csv")
        preview = yaml.safe_load(self._run(workdir, "--preview")) or {}
        return plan_from(listed, preview)

    def run_job(
        self, workdir: Path, name: str, log: Path, stop: threading.Event | None = None
    ) -> int:
        """Run one job to its end; when ``stop`` is set meanwhile, stop its processes."""
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as out:
            process = subprocess.Popen(
                self._command(name, "--shell-isolation", "--max-job-name-padding", "0"),
                cwd=workdir,
                env=self._environment,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, for a cancel to stop
            )
            return wait_or_stop(process, stop)


def plan_from(listed_csv: str, preview: Mapping[str, object]) -> list[JobRecord]:
    """Jobs from ``--list-csv`` (rules evaluated) ordered by the preview's ``stages``."""
    stages = [str(s) for s in preview.get("stages", []) or []]  # type: ignore[union-attr]
    body = "\n".join(line for line in listed_csv.splitlines() if ";" in line)
    jobs = []
    for row in csv.DictReader(io.StringIO(body), delimiter=";"):
        definition = preview.get(row["name"])
        group = definition.get("resource_group") if isinstance(definition, dict) else None
        jobs.append(
            JobRecord(
                name=row["name"],
                stage=row["stage"],
                when=row["when"],
                resource_group=str(group) if group else None,
            )
        )
    if not jobs:
        raise RunnerToolError("the pipeline has no jobs")
    order = {stage: i for i, stage in enumerate(stages)}
    return sorted(jobs, key=lambda job: order.get(job.stage, len(order)))


def job_environment(extra_path: Path) -> dict[str, str]:
    """The runner's environment with Drydock's own tools (drydock, aws) first on PATH."""
    environment = dict(os.environ)
    environment["PATH"] = f"{extra_path}{os.pathsep}{environment.get('PATH', '')}"
    return environment
