"""A job's process group stops on request, grandchildren included; SIGKILL after the
grace when it ignores SIGTERM."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from harness.ci.job_process import wait_or_stop


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); ask /proc whether it is only that.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"


def job(script: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sh", "-c", script], start_new_session=True)


def test_a_job_that_ends_gives_its_exit_code() -> None:
    assert wait_or_stop(job("exit 3"), threading.Event()) == 3
    assert wait_or_stop(job("exit 0"), None) == 0


def test_a_stop_ends_the_whole_group_grandchildren_included(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild"
    process = job(f"sleep 60 & echo $! > {pidfile}; wait")
    while not pidfile.exists() or not pidfile.read_text().strip():
        time.sleep(0.05)
    grandchild = int(pidfile.read_text())
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()

    began = time.monotonic()
    code = wait_or_stop(process, stop)

    assert code < 0, "ended by a signal"
    assert time.monotonic() - began < 5
    deadline = time.monotonic() + 5
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(grandchild), "the job's own child was stopped too"


@pytest.mark.timeout(30)
def test_a_job_that_ignores_sigterm_is_killed_after_the_grace() -> None:
    process = job("trap '' TERM; while :; do sleep 0.1; done")
    time.sleep(0.3)  # the trap is set
    stop = threading.Event()
    stop.set()
    began = time.monotonic()
    code = wait_or_stop(process, stop, grace_s=0.5)
    assert code == -9
    assert 0.4 < time.monotonic() - began < 5
