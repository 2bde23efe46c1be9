"""Start the CI runner as a detached host process once, find it, stop it.

``drydock stack up`` calls :func:`ensure_runner`; ``drydock stack down`` calls
:func:`stop_runner`. The runner's lock file holds its pid while it runs, so "is it
running" is "is the lock taken", which no stale pid file can fake.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time

from harness.errors import DrydockError
from harness.settings import REPO_ROOT, DrydockSettings


def runner_pid(settings: DrydockSettings) -> int | None:
    path = settings.ci_root / "runner.lock"
    if not path.exists():
        return None
    with path.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            text = lock.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(lock, fcntl.LOCK_UN)
        return None


def ensure_runner(settings: DrydockSettings, timeout_s: float = 15.0) -> int:
    """The running runner's pid, starting one (logging to ``ci/runner.log``) if none runs."""
    pid = runner_pid(settings)
    if pid is not None:
        return pid
    settings.ci_root.mkdir(parents=True, exist_ok=True)
    with (settings.ci_root / "runner.log").open("a") as log:
        subprocess.Popen(
            [sys.executable, "-m", "harness.ci.runner"],
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "DRYDOCK_CI_DIR": str(settings.ci_root)},
        )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pid = runner_pid(settings)
        if pid and pid > 0:
            return pid
        time.sleep(0.1)
    raise DrydockError(
        f"the CI runner did not start within {timeout_s:.0f} s; see {settings.ci_root}/runner.log"
    )


def stop_runner(settings: DrydockSettings, timeout_s: float = 30.0) -> bool:
    """SIGTERM the runner (it finishes the job it runs, cancels the rest), then SIGKILL."""
    pid = runner_pid(settings)
    if not pid or pid < 0:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if runner_pid(settings) is None:
            return True
        time.sleep(0.2)
    os.killpg(pid, signal.SIGKILL)
    return True
