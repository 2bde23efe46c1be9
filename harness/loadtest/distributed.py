"""Locust's distributed mode across machines: this run as the master, workers apart.

``--processes N`` forks workers on this machine; for more load than one machine
gives, ``drydock loadtest --master --expect-workers N`` binds locust's master port
and waits for N workers started elsewhere with ``drydock loadtest --worker
--master-host HOST``. Workers need nothing but Drydock with its ``load`` extra: the
master sends the target URL and the traffic settings with every spawn (locust
forwards custom arguments), and the workers ship every request record back in
their reports, so the master writes the one ``requests.csv``.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.loadtest.locust_process import LOCUSTFILE, locust_environment

#: Locust's own default master port.
DEFAULT_MASTER_PORT = 5557


@dataclass(frozen=True)
class MasterSettings:
    """This run is locust's master and waits for ``expect_workers`` workers to join."""

    expect_workers: int
    bind_host: str = "127.0.0.1"
    bind_port: int = DEFAULT_MASTER_PORT
    wait_s: float = 120.0

    def locust_args(self) -> list[str]:
        return [
            "--master",
            "--expect-workers",
            str(self.expect_workers),
            "--expect-workers-max-wait",
            str(max(1, round(self.wait_s))),
            "--master-bind-host",
            self.bind_host,
            "--master-bind-port",
            str(self.bind_port),
        ]


@dataclass(frozen=True)
class WorkerLaunch:
    """One locust worker for a master elsewhere; it runs until the master ends the test."""

    master_host: str
    master_port: int = DEFAULT_MASTER_PORT
    locustfile: Path = LOCUSTFILE

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(self.locustfile),
            "--worker",
            "--master-host",
            self.master_host,
            "--master-port",
            str(self.master_port),
        ]

    def run(self) -> int:
        """Run in the foreground (output to this terminal); locust's exit code."""
        return subprocess.run(
            self.command(), env=locust_environment({}), stdin=subprocess.DEVNULL, check=False
        ).returncode
