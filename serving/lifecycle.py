"""A serving task's lifecycle: loaded, warmed up, ready, draining.

The load balancer routes to a task only while ``/v2/health/ready`` says 200, so
this state is what makes a rolling replacement lossless: not ready before one
real prediction has gone through (the first call pays for lazy imports and
thread-pool start-up), and not ready from the moment SIGTERM arrives, while
in-flight requests still finish.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import numpy as np

SignalHandler = Callable[[int, FrameType | None], Any]


class Lifecycle:
    """Readiness flags of one process; flipping to draining is safe from a signal handler."""

    def __init__(self) -> None:
        self.loaded = False
        self.warmed_up = False
        self._draining = threading.Event()
        self.drain_reason = ""

    @property
    def draining(self) -> bool:
        return self._draining.is_set()

    @property
    def ready(self) -> bool:
        return self.loaded and self.warmed_up and not self._draining.is_set()

    def not_ready_reason(self) -> str:
        if not self.loaded:
            return "model not loaded"
        if not self.warmed_up:
            return "warm-up prediction not done"
        return f"draining: {self.drain_reason}"

    def start_draining(self, reason: str) -> None:
        """From now on report not-ready; requests keep being served until the worker exits."""
        self.drain_reason = reason
        self._draining.set()


def warm_up(estimator: Any, n_features: int, has_proba: bool) -> np.ndarray:
    """One prediction through the same calls a request makes; returns the labels.

    Raises whatever the estimator raises: a model that cannot predict a row of
    zeros must not be reported ready.
    """
    row = np.zeros((1, n_features), dtype=np.float64)
    labels = np.asarray(estimator.predict(row))
    if has_proba:
        estimator.predict_proba(row)
    return labels


def drain_on_signals(
    lifecycle: Lifecycle,
    handlers: dict[signal.Signals, SignalHandler],
) -> None:
    """Install handlers that flip readiness first, then do what the server did before.

    gunicorn's gthread worker handles SIGTERM by leaving its accept loop and
    finishing open connections within ``graceful_timeout``, but it calls no
    hook on SIGTERM (``worker_int`` is SIGINT/SIGQUIT only). Wrapping its
    handler is the one place that sees SIGTERM in the worker at once. Python
    runs signal handlers in the main thread, which in gthread is the poll loop,
    never a request thread, so a request is never interrupted by this.
    """
    for signum, previous in handlers.items():

        def handler(sig: int, frame: FrameType | None, _previous: SignalHandler = previous) -> Any:
            lifecycle.start_draining(f"{signal.Signals(sig).name} received")
            return _previous(sig, frame)

        signal.signal(signum, handler)
        # Keep gunicorn's choice: a signal must not interrupt a blocking system call.
        signal.siginterrupt(signum, False)
