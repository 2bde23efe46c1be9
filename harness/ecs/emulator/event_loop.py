"""The emulator's event loop: one thread that steps every service's scheduler.

It sleeps on the observation queue until something happens (a container started or
exited, a health check ran, an API call changed a service) or a scheduler's timer is
due, or the next HAProxy health poll comes round. Then it steps every scheduler
handle while holding ``ControlPlane.lock`` (Describe* reads the same objects) and
dispatches the actions outside the lock, so slow Docker or HAProxy calls never block
the API.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Protocol

from harness.ecs.control_plane import ControlPlane
from harness.ecs.scheduler.observations import Observation
from harness.ecs.scheduler.ports import HookRunner, TargetRegistrar, TaskRuntime, dispatch

log = logging.getLogger(__name__)

#: Put on the queue to wake the loop (an API call changed a service).
WAKE = None

#: What the loop waits on: observations from the runtime, or WAKE.
ObservationQueue = queue.Queue[Observation | None]


class TargetSync(TargetRegistrar, Protocol):
    """The scheduler's target port plus what the loop asks of it on every poll
    (:class:`~harness.ecs.emulator.elbv2_sync.Elbv2Sync`)."""

    def sync(self) -> None:
        """Copy new or changed target groups and listeners into the proxy."""
        ...

    def poll(self) -> list[Observation]:
        """Health changes and finished drains since the last poll."""
        ...


class Driver:
    """Runs the loop in a daemon thread; :meth:`stop` ends it within one poll period."""

    def __init__(
        self,
        control_plane: ControlPlane,
        runtime: TaskRuntime,
        targets: TargetSync,
        observations: ObservationQueue,
        poll_interval_s: float = 0.15,
        after_step: Callable[[], None] | None = None,
        hooks: HookRunner | None = None,
    ) -> None:
        """``after_step``: run after each step's actions (the placement gate retries
        waiting tasks there, once stopped tasks have freed room). ``hooks``: runs Lambda
        lifecycle hooks (:mod:`.lambda_hooks`), off this loop."""
        self.after_step = after_step
        self.hooks = hooks
        self.control_plane = control_plane
        self.runtime = runtime
        self.targets = targets
        self.observations = observations
        self.poll_interval_s = poll_interval_s
        self.errors: list[BaseException] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="drydock-ecs-driver", daemon=True)

    def wake(self, *_: object) -> None:
        """The ``on_change`` callback for the scheduler factory."""
        self.observations.put(WAKE)

    def start(self) -> Driver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self.observations.put(WAKE)
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        next_poll = time.monotonic()
        while not self._stopped.is_set():
            batch = self._wait(min(self.poll_interval_s, self._until_next_wakeup()))
            if self._stopped.is_set():
                return
            try:
                if time.monotonic() >= next_poll:
                    next_poll = time.monotonic() + self.poll_interval_s
                    self.targets.sync()
                    batch.extend(self.targets.poll())
                self._step(batch)
            except Exception as exc:  # keep the emulator alive; surface it to the caller
                log.exception("driver step failed")
                self.errors.append(exc)

    def _wait(self, timeout_s: float) -> list[Observation]:
        found: list[Observation | None] = []
        try:
            found.append(self.observations.get(timeout=max(0.0, timeout_s)))
            while True:
                found.append(self.observations.get_nowait())
        except queue.Empty:
            pass
        return [o for o in found if o is not None]  # None is WAKE

    def _until_next_wakeup(self) -> float:
        with self.control_plane.lock:
            times = [
                w for h in self.control_plane.schedulers() if (w := h.next_wakeup()) is not None
            ]
        if not times:
            return self.poll_interval_s
        return min(times) - time.time()

    def _step(self, observations: list[Observation]) -> None:
        """Every handle sees every observation: schedulers ignore tasks they don't own."""
        with self.control_plane.lock:
            actions = [
                a for handle in self.control_plane.schedulers() for a in handle.step(observations)
            ]
        for action in actions:
            try:
                dispatch([action], self.runtime, self.targets, hooks=self.hooks)
            except Exception as exc:  # one failed action must not lose the others
                log.exception("could not perform %s", action)
                self.errors.append(exc)
        if self.after_step is not None:
            self.after_step()
