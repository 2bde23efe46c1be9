"""Watch a service's task counts during a rollout and check the deployment bounds.

AWS's rule: ``minimumHealthyPercent`` (rounded up) is a floor on RUNNING tasks and
``maximumPercent`` (rounded down) a ceiling on RUNNING + PENDING tasks. Sampling
``DescribeServices`` the way an operator would catches a scheduler that breaks either.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.testing.service import EcsService


@dataclass(frozen=True)
class CountSample:
    at: float
    running: int
    pending: int
    deployments: tuple[tuple[str, int, int], ...]  # (status, running, pending)


class BoundsWatcher:
    """Samples every ``interval_s`` while in ``with``; :meth:`assert_held` judges."""

    def __init__(
        self,
        service: EcsService,
        interval_s: float = 0.1,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> None:
        self.service = service
        self.interval_s = interval_s
        desired = service.desired_count
        self.minimum = (
            minimum
            if minimum is not None
            else math.ceil(desired * service.minimum_healthy_percent / 100)
        )
        self.maximum = (
            maximum if maximum is not None else math.floor(desired * service.maximum_percent / 100)
        )
        self.samples: list[CountSample] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bounds-watcher", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                answer = self.service.describe()
                self.samples.append(
                    CountSample(
                        time.monotonic(),
                        answer["runningCount"],
                        answer["pendingCount"],
                        tuple(
                            (d["status"], d["runningCount"], d["pendingCount"])
                            for d in answer["deployments"]
                        ),
                    )
                )
            except Exception as exc:  # a slow API answer must not end the watch
                self.errors.append(f"{type(exc).__name__}: {exc}")
            self._stop.wait(self.interval_s)

    @property
    def violations(self) -> list[CountSample]:
        return [
            s
            for s in self.samples
            if s.running < self.minimum or s.running + s.pending > self.maximum
        ]

    def assert_held(self, min_samples: int = 5) -> None:
        assert len(self.samples) >= min_samples, (
            f"only {len(self.samples)} samples (errors: {self.errors[:3]})"
        )
        assert not self.violations, (
            f"bounds [{self.minimum}, {self.maximum}] broken: {self.violations[:5]}"
        )

    def start(self) -> BoundsWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def __enter__(self) -> BoundsWatcher:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
