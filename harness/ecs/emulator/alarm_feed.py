"""Deployment alarms into the scheduler: which of a service's alarms are in ALARM.

A service whose ``deploymentConfiguration.alarms`` is enabled hears, at every poll of
the driver loop, which of its alarms are in state ALARM (maybe none): an
``AlarmsInAlarm`` observation for that service's scheduler only. The alarms themselves
are the CloudWatch registry's (:class:`AlarmStates`); without one, nothing is reported
and no deployment fails on alarms.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from harness.ecs.domain import Service
from harness.ecs.scheduler.observations import AlarmsInAlarm


class AlarmStates(Protocol):
    """What the feed needs of the CloudWatch registry."""

    def alarms_in_alarm(self, names: Sequence[str]) -> list[str]:
        """Of ``names``, the alarms whose state is ALARM now."""
        ...


def alarm_observation(service: Service, alarms: AlarmStates | None) -> AlarmsInAlarm | None:
    """The observation for ``service``; None when it has no enabled alarms (or no
    CloudWatch is wired)."""
    config = service.deployment_configuration.alarms
    if alarms is None or not config.enable or not config.alarm_names:
        return None
    firing = alarms.alarms_in_alarm(list(config.alarm_names))
    return AlarmsInAlarm(service.service_name, tuple(n for n in config.alarm_names if n in firing))
