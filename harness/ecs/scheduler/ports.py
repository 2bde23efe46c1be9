"""The scheduler's view of the outside world: a clock, a task runtime, target registration.

The docker runtime (``harness.ecs.runtime``) and the emulator's ELBv2 sync
(``harness.ecs.emulator.elbv2_sync``) implement these; tests use fakes. Implementations report back
by calling ``ServiceScheduler.step`` with observations, from one thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from harness.ecs.scheduler.actions import (
    Action,
    AdoptTask,
    DeregisterTarget,
    InvokeHook,
    RegisterTarget,
    ShiftTraffic,
    StartTask,
    StopTask,
)


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (a fake clock in tests, ``time.time`` in the emulator)."""
        ...


class TaskRuntime(Protocol):
    def start_task(self, action: StartTask) -> None: ...

    def stop_task(self, action: StopTask) -> None: ...

    def adopt_task(self, action: AdoptTask) -> None: ...


class TargetRegistrar(Protocol):
    """Registers tasks' containers with their target groups, and deregisters (drains) them."""

    def register_target(self, action: RegisterTarget) -> None: ...

    def deregister_target(self, action: DeregisterTarget) -> None: ...


class TrafficRouter(Protocol):
    """Sets listener rules' forward weights (BLUE_GREEN, LINEAR and CANARY traffic shifts)."""

    def shift_traffic(self, action: ShiftTraffic) -> None: ...


class HookRunner(Protocol):
    """Runs Lambda lifecycle hooks locally; reports each answer as ``HookAnswered``."""

    def invoke_hook(self, action: InvokeHook) -> None: ...


def dispatch(
    actions: Iterable[Action],
    runtime: TaskRuntime,
    balancer: TargetRegistrar,
    traffic: TrafficRouter | None = None,
    hooks: HookRunner | None = None,
) -> None:
    """Hand each action to the port that performs it, in the order the scheduler chose.

    ``traffic`` and ``hooks`` may be left out where no service uses a strategy that
    shifts traffic or runs hooks; an action for a missing port is a wiring error.
    """
    for action in actions:
        match action:
            case StartTask():
                runtime.start_task(action)
            case AdoptTask():
                runtime.adopt_task(action)
            case StopTask():
                runtime.stop_task(action)
            case RegisterTarget():
                balancer.register_target(action)
            case DeregisterTarget():
                balancer.deregister_target(action)
            case ShiftTraffic():
                if traffic is None:
                    raise RuntimeError(f"no TrafficRouter wired for {action}")
                traffic.shift_traffic(action)
            case InvokeHook():
                if hooks is None:
                    raise RuntimeError(f"no HookRunner wired for {action}")
                hooks.invoke_hook(action)
