"""What reaches a service's deployment between steps, beside task observations.

Lambda hooks answer (``HookAnswered``), CloudWatch reports which deployment alarms are
in ALARM (``AlarmsInAlarm``), and the API asks to stop a deployment
(``StopServiceDeployment``) or to end a PAUSE hook (``ContinueServiceDeployment``).
None of them concerns a task, so they wait here until the strategy's reconciler reads
them in the next step; the commands are checked when they arrive, so the caller hears
at once when there is nothing to stop or continue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.ecs.domain import HookAction, StopType
from harness.ecs.scheduler.observations import HookAnswered


class DeploymentCommandError(Exception):
    """A deployment command that does not fit the service's state (the API's
    ConflictException / InvalidParameterException)."""


class NothingToStop(DeploymentCommandError):
    """StopServiceDeployment on a service whose deployment is not in progress."""


class NoSuchPausedHook(DeploymentCommandError):
    """ContinueServiceDeployment naming a hook that is not a PAUSE hook awaiting action."""


@dataclass
class DeploymentInbox:
    """Answers, alarm states and commands for one service, read by its next step."""

    hook_answers: dict[str, HookAnswered] = field(default_factory=dict)
    continues: dict[str, HookAction] = field(default_factory=dict)
    stop: StopType | None = None
    #: The deployment alarms in ALARM at the last evaluation.
    alarms_in_alarm: tuple[str, ...] = ()
