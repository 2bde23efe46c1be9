"""What can go wrong in a load test, as errors the CLI prints in one line."""

from __future__ import annotations

from harness.errors import DrydockError


class LoadTestError(DrydockError):
    """The load test could not run: locust did not start, the trigger failed, bad options."""


class GatesFailedError(DrydockError):
    """The load test ran, and one or more SLO gates failed (exit code 3, unlike a crash)."""

    exit_code = 3
