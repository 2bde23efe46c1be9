"""A serving task's lifecycle: loaded, warmed up, ready, draining.

The load balancer routes to a task only while ``/v2/health/ready`` says 200, so
this state is what makes a rolling replacement lossless: not ready before one
real prediction has gone through (the first call pays for lazy imports and
thread-pool start-up), and not ready from the moment SIGTERM arrives, while
in-flight requests still finish.

A SIGTERM can also arrive while the balancer still sends the task new requests
(no deregistration first: an operator's ``docker stop``, a scale-in race, a spot
interruption). A worker that stopped accepting at once would leave connections
the kernel had already queued on its socket to be reset at exit: requests lost.
So the worker lingers: it keeps accepting, reports not-ready, and stops only
once no client request has arrived for a quiet period (the balancer's health
checks have taken it out) or a bounded wait has passed. After a proper ECS
drain no request arrives at all, so the linger ends at once.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import numpy as np

SignalHandler = Callable[[int, FrameType | None], Any]

log = logging.getLogger("drydock.serving")


class Lifecycle:
    """Readiness flags of one process; flipping to draining is safe from a signal handler."""

    def __init__(self) -> None:
        self.loaded = False
        self.warmed_up = False
        self._draining = threading.Event()
        self.drain_reason = ""
        #: When a client request (not a health probe) last arrived; never, at start.
        self.last_traffic_at = -math.inf

    def note_traffic(self) -> None:
        """A client request arrived: a lingering worker must not stop yet."""
        self.last_traffic_at = time.monotonic()

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


def wait_for_quiet(
    lifecycle: Lifecycle,
    quiet_s: float,
    max_wait_s: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Any] = time.sleep,
) -> str:
    """Block until no client request arrived for ``quiet_s``, or ``max_wait_s`` passed.

    Returns why it stopped waiting, for the log: an operator reading "gave up
    after 10 s" knows the balancer kept routing to a task that was stopping.
    """
    started = clock()
    while True:
        now = clock()
        if now - lifecycle.last_traffic_at >= quiet_s:
            return f"no client request for {quiet_s:g} s"
        if now - started >= max_wait_s:
            return f"client requests still arriving after {max_wait_s:g} s; stopping anyway"
        sleep(min(0.05, quiet_s))


def drain_on_signals(
    lifecycle: Lifecycle,
    *,
    graceful: dict[signal.Signals, SignalHandler],
    immediate: dict[signal.Signals, SignalHandler],
    linger: Callable[[], str],
) -> None:
    """Install handlers that flip readiness first, then do what the server did before.

    gunicorn's gthread worker handles SIGTERM by leaving its accept loop and
    finishing open connections within ``graceful_timeout``, but it calls no
    hook on SIGTERM (``worker_int`` is SIGINT/SIGQUIT only). Wrapping its
    handler is the one place that sees SIGTERM in the worker at once. Python
    runs signal handlers in the main thread, which in gthread is the poll loop,
    never a request thread, so a request is never interrupted by this.

    A ``graceful`` signal's previous handler runs only after ``linger`` returns,
    in a thread, so the poll loop keeps accepting meanwhile (gunicorn's
    ``handle_exit`` is safe from any thread: it sets a flag and wakes the loop).
    An ``immediate`` signal's previous handler runs at once.
    """
    for signum, previous in graceful.items():

        def graceful_handler(
            sig: int, frame: FrameType | None, _previous: SignalHandler = previous
        ) -> None:
            if lifecycle.draining:
                return  # already lingering; a second SIGTERM changes nothing
            lifecycle.start_draining(f"{signal.Signals(sig).name} received")

            def linger_then_stop() -> None:
                log.info("draining: %s", linger())
                _previous(sig, frame)

            threading.Thread(target=linger_then_stop, name="drydock-drain", daemon=True).start()

        _install(signum, graceful_handler)

    for signum, previous in immediate.items():

        def immediate_handler(
            sig: int, frame: FrameType | None, _previous: SignalHandler = previous
        ) -> Any:
            lifecycle.start_draining(f"{signal.Signals(sig).name} received")
            return _previous(sig, frame)

        _install(signum, immediate_handler)


def _install(signum: signal.Signals, handler: SignalHandler) -> None:
    signal.signal(signum, handler)
    # Keep gunicorn's choice: a signal must not interrupt a blocking system call.
    signal.siginterrupt(signum, False)
