"""Locust headless in a child process: started, watched, stopped.

A child process rather than locust's Python API in our own process, because
importing locust monkey-patches the whole interpreter with gevent (threads,
sockets, ``time.sleep``), which would change how the caller's boto3 trigger,
thread pools and test suite behave. In the child, ``--processes N`` gives
distributed mode for free (a master plus N forked workers) with the same code.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from harness.loadtest.config import LoadSettings
from harness.loadtest.errors import LoadTestError
from harness.stack.ports import free_port

if TYPE_CHECKING:
    from harness.loadtest.distributed import MasterSettings

#: The folder holding ``harness/`` and ``loadtests/``, in a checkout as in an installed wheel.
#: Found from this file, not by import: editable installs may resolve the packages as
#: namespaces (no ``__file__``), and a stray ``loadtests`` folder in the cwd could shadow it.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = PROJECT_ROOT / "loadtests" / "locustfile.py"
STATS_NAME = "locust_stats"
LOG_NAME = "locust.log"
#: What a plain ``pip install drydock`` lacks for ``drydock loadtest``.
MISSING_LOCUST = "drydock loadtest needs locust: pip install 'drydock[load]'"


def require_locust() -> None:
    """Fail in one line, before any deployment is touched, when locust is not installed.

    Locust is the ``load`` extra (it pulls gevent and friends that serving and the
    emulator never need), so the command checks for it instead of assuming it.
    """
    if importlib.util.find_spec("locust") is None:
        raise LoadTestError(MISSING_LOCUST)


def locust_environment(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment plus ``extra``, with the project importable by locust."""
    env = {**os.environ, **extra}
    paths = (str(PROJECT_ROOT), env.get("PYTHONPATH"))
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return env


@dataclass(frozen=True)
class LocustLaunch:
    """How to run locust: where, how many users, how long, how many processes."""

    target_url: str
    users: int
    run_time_s: float
    processes: int
    settings: LoadSettings
    out_dir: Path
    locustfile: Path = LOCUSTFILE
    master: MasterSettings | None = None

    def command(self) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(self.locustfile),
            "--headless",
            "--host",
            self.target_url,
            "--users",
            str(self.users),
            "--spawn-rate",
            str(self.users),  # every user within the first second
            "--run-time",
            f"{max(1, round(self.run_time_s))}s",
            "--json-file",
            STATS_NAME,  # written once at shutdown, after the workers' final reports
            "--only-summary",
            "--exit-code-on-error",
            "0",  # errors are the gates' business; a non-zero exit means locust broke
            "--drydock-load",  # the locustfile's argument; locust forwards it to workers
            self.settings.model_dump_json(),
        ]
        if self.master is not None:
            command += self.master.locust_args()
        elif self.processes > 1:
            # The forked workers meet the master on a free loopback port, not locust's
            # fixed 5557, which another run on the same machine may hold.
            port = str(free_port())
            command += ["--processes", str(self.processes), "--master-bind-host", "127.0.0.1"]
            command += ["--master-bind-port", port, "--master-host", "127.0.0.1"]
            command += ["--master-port", port]
        return command

    def environment(self) -> dict[str, str]:
        return locust_environment(self.settings.to_env())

    @property
    def start_timeout_s(self) -> float:
        """How long the load may take to begin: longer when workers must join first."""
        return 60.0 + (self.master.wait_s if self.master is not None else 0.0)


class LocustProcess:
    """A running locust; a context manager so it never outlives its caller."""

    def __init__(self, launch: LocustLaunch) -> None:
        self.launch = launch
        self._process: subprocess.Popen[bytes] | None = None
        self.log_path = launch.out_dir / LOG_NAME

    def __enter__(self) -> LocustProcess:
        self.launch.out_dir.mkdir(parents=True, exist_ok=True)
        started = self.launch.settings.started_path
        if started is not None:
            started.unlink(missing_ok=True)
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                self.launch.command(),
                cwd=self.launch.out_dir,  # no stray locust.conf from the caller's folder
                env=self.launch.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.poll() is None:
            self.stop()

    @property
    def process(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise LoadTestError("locust was not started")
        return self._process

    def poll(self) -> int | None:
        return self.process.poll()

    def wait_started(self, timeout_s: float | None = None) -> float:
        """Block until locust starts its users; returns that moment (epoch s)."""
        timeout_s = self.launch.start_timeout_s if timeout_s is None else timeout_s
        started = self.launch.settings.started_path
        if started is None:
            raise LoadTestError("no started_path: cannot tell when the load began")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if started.is_file() and (text := started.read_text().strip()):
                return float(text)
            if self.poll() is not None:
                raise LoadTestError(
                    f"locust exited with code {self.poll()} before sending load: {self.log_tail()}"
                )
            time.sleep(0.05)
        self.stop()
        raise LoadTestError(f"locust did not start within {timeout_s:.0f}s: {self.log_tail()}")

    def wait(self, timeout_s: float) -> int:
        """Wait for locust to finish by itself; stop it if it takes longer."""
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return self.stop()

    def stop(self, grace_s: float = 10.0) -> int:
        """SIGTERM (locust shuts down cleanly and writes its stats), then SIGKILL."""
        process = self.process
        if process.poll() is not None:
            return process.returncode
        os.killpg(process.pid, signal.SIGTERM)
        try:
            return process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            return process.wait()

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except FileNotFoundError:
            return "(no log)"
        return " | ".join(text[-lines:]) or "(empty log)"

    def locust_request_count(self) -> int | None:
        """Locust's own total request count (``--json-file``), to cross-check the recorder."""
        stats = self.launch.out_dir / f"{STATS_NAME}.json"
        try:
            entries = json.loads(stats.read_text())
            return sum(int(entry["num_requests"]) for entry in entries)
        except (FileNotFoundError, KeyError, TypeError, ValueError):
            return None
