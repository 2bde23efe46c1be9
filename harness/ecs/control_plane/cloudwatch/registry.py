"""The CloudWatch registry: metric alarms, the metric store, and their evaluation.

What the API reads and writes (through :mod:`.operations`), what the load balancer's
sampler feeds (:attr:`CloudWatchRegistry.metrics`), and what the deployment scheduler
asks (:meth:`CloudWatchRegistry.alarms_in_alarm`). It lives on the control plane, so
the plane's lock guards it like every other registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.ecs.control_plane.cloudwatch.errors import LimitExceeded, ResourceNotFound
from harness.ecs.control_plane.cloudwatch.evaluation import evaluate, evaluation_range
from harness.ecs.control_plane.cloudwatch.metrics import MetricStore
from harness.ecs.control_plane.cloudwatch.model import AlarmState, MetricAlarm
from harness.ecs.control_plane.cloudwatch.validation import alarm_rule, check_reason_data
from harness.time_scale import TimeScale

#: Metric alarms per account and region (PutMetricAlarm answers LimitExceeded beyond).
DEFAULT_MAX_ALARMS = 10_000


class CloudWatchRegistry:
    """``scale``: how long a Period lasts here (the emulator's time scale)."""

    def __init__(
        self, scale: TimeScale | None = None, max_alarms: int = DEFAULT_MAX_ALARMS
    ) -> None:
        self.scale = scale or TimeScale()
        self.max_alarms = max_alarms
        self.metrics = MetricStore()
        self._alarms: dict[str, MetricAlarm] = {}

    # -- alarms ------------------------------------------------------------------------

    def put_metric_alarm(self, req: dict[str, Any], now: float) -> MetricAlarm:
        """Create the alarm, or overwrite its whole configuration and keep its state."""
        rule = alarm_rule(req)
        existing = self._alarms.get(req["AlarmName"])
        if existing is None and len(self._alarms) >= self.max_alarms:
            raise LimitExceeded(
                f"The maximum number of alarms ({self.max_alarms}) has been reached."
            )
        alarm = MetricAlarm(
            name=req["AlarmName"],
            rule=rule,
            configured_at=now,
            state_updated_at=existing.state_updated_at if existing else now,
            description=req.get("AlarmDescription"),
            actions_enabled=req.get("ActionsEnabled", True),
            ok_actions=req.get("OKActions") or [],
            alarm_actions=req.get("AlarmActions") or [],
            insufficient_data_actions=req.get("InsufficientDataActions") or [],
            unit=req.get("Unit"),
            tags=req.get("Tags") or (existing.tags if existing else []),
        )
        if existing is not None:
            alarm.state = existing.state
            alarm.state_reason = existing.state_reason
            alarm.state_reason_data = existing.state_reason_data
        self._alarms[alarm.name] = alarm
        return alarm

    def alarm(self, name: str) -> MetricAlarm:
        try:
            return self._alarms[name]
        except KeyError:
            raise ResourceNotFound(f"Alarm {name} not found.") from None

    def alarms(
        self,
        names: Sequence[str] | None = None,
        prefix: str | None = None,
        state: str | None = None,
        action_prefix: str | None = None,
    ) -> list[MetricAlarm]:
        """Matching alarms in name order (DescribeAlarms' filters; unknown names are skipped)."""
        found = [
            a
            for name, a in sorted(self._alarms.items())
            if (names is None or name in names)
            and (prefix is None or name.startswith(prefix))
            and (state is None or a.state.value == state)
            and (
                action_prefix is None
                or any(
                    action.startswith(action_prefix)
                    for action in (*a.ok_actions, *a.alarm_actions, *a.insufficient_data_actions)
                )
            )
        ]
        return found

    def delete_alarms(self, names: Sequence[str]) -> None:
        """All or nothing: one unknown name deletes none, as on AWS."""
        missing = [n for n in names if n not in self._alarms]
        if missing:
            raise ResourceNotFound(f"{', '.join(missing)} not found; no alarm was deleted.")
        for name in names:
            del self._alarms[name]

    def set_alarm_state(
        self, name: str, state: str, reason: str, reason_data: str | None, now: float
    ) -> None:
        """Until the next evaluation that disagrees (see :mod:`.evaluation`)."""
        alarm = self.alarm(name)
        check_reason_data(reason_data)
        alarm.set_state(AlarmState(state), reason, reason_data, now)

    # -- evaluation --------------------------------------------------------------------

    def evaluate(self, now: float) -> list[MetricAlarm]:
        """Evaluate every alarm at ``now``; the alarms whose state changed."""
        changed: list[MetricAlarm] = []
        for alarm in self._alarms.values():
            points = evaluation_range(self.metrics, alarm.rule, now, self.scale)
            verdict = evaluate(alarm.rule, points, alarm.state)
            if verdict is None or verdict.state is alarm.state:
                continue
            alarm.set_state(verdict.state, verdict.reason, verdict.reason_data, now)
            changed.append(alarm)
        return changed

    def alarms_in_alarm(self, names: Sequence[str]) -> list[str]:
        """The alarms among ``names`` whose state is ALARM now (unknown names ignored).

        The deployment scheduler's question: an alarm in ALARM rolls a deployment back.
        """
        return [
            name
            for name in names
            if (alarm := self._alarms.get(name)) is not None and alarm.state is AlarmState.ALARM
        ]
