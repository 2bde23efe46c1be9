"""A job's process tree, stopped on request: how ``drydock pipelines cancel`` ends a job.

gitlab-ci-local runs the job's script in a shell, which starts ``drydock``, ``docker``
or the AWS CLI. The job is started in its own session (its own process group), so a
cancel reaches every process of the job and nothing else: SIGTERM to the group (a
``docker build`` or ``drydock release`` ends cleanly on it), then SIGKILL after a grace.
What the job already changed stays changed, as on GitLab: a canceled ``deploy`` does
not roll back a deployment it started; ECS goes on with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading

#: How often a running job is checked for a cancel request.
POLL_S = 0.2
#: SIGTERM -> SIGKILL.
GRACE_S = 10.0


def wait_or_stop(
    process: subprocess.Popen[bytes], stop: threading.Event | None, grace_s: float = GRACE_S
) -> int:
    """The job's exit code, once it ends or, when ``stop`` is set first, once its process
    group is stopped (then a negative signal number, as ``subprocess`` reports it)."""
    while True:
        try:
            return process.wait(timeout=POLL_S)
        except subprocess.TimeoutExpired:
            if stop is not None and stop.is_set():
                return stop_group(process, grace_s)


def stop_group(process: subprocess.Popen[bytes], grace_s: float = GRACE_S) -> int:
    """SIGTERM the process group ``process`` leads; SIGKILL it if it outlives ``grace_s``."""
    _signal_group(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        _signal_group(process.pid, signal.SIGKILL)
        return process.wait()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(pgid, sig)
