"""The hook port when no local Lambda runner is configured: every hook answers FAILED.

A Lambda lifecycle hook the emulator cannot run must not leave a deployment waiting a
day for its timeout, nor pass unchecked: like a Lambda that cannot be invoked on AWS,
it fails, and the deployment rolls back with a reason that says what is missing.
"""

from __future__ import annotations

import queue

from harness.ecs.domain import HookStatus
from harness.ecs.scheduler.actions import InvokeHook
from harness.ecs.scheduler.observations import HookAnswered, Observation


class UnresolvedHooks:
    """A :class:`~harness.ecs.scheduler.ports.HookRunner` that runs nothing."""

    def __init__(self, observations: queue.Queue[Observation | None]) -> None:
        self._observations = observations

    def invoke_hook(self, action: InvokeHook) -> None:
        self._observations.put(
            HookAnswered(
                action.hook_id,
                HookStatus.FAILED,
                reason=(f"no local Lambda runner is configured for {action.hook.hook_target_arn}"),
            )
        )
