"""CloudWatch's vocabulary: metrics, their statistics, metric alarms and their states.

Plain values and one mutable :class:`MetricAlarm`; the rules that judge requests are in
:mod:`.validation`, the evaluation of an alarm in :mod:`.evaluation`. Times are epoch
seconds of the emulator's clock; ``Period`` stays AWS's number (seconds) and becomes
wall time only where periods are cut (:class:`~harness.time_scale.TimeScale`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from harness.ecs.control_plane import arns


class AlarmState(StrEnum):
    OK = "OK"
    ALARM = "ALARM"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


class Statistic(StrEnum):
    SAMPLE_COUNT = "SampleCount"
    AVERAGE = "Average"
    SUM = "Sum"
    MINIMUM = "Minimum"
    MAXIMUM = "Maximum"


class TreatMissingData(StrEnum):
    MISSING = "missing"
    NOT_BREACHING = "notBreaching"
    BREACHING = "breaching"
    IGNORE = "ignore"


#: The static-threshold comparisons, with the words AWS's state reasons use for them.
COMPARISONS: Mapping[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}


@dataclass(frozen=True)
class MetricKey:
    """A metric's identity: namespace, name and its dimensions (order does not matter)."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def of(namespace: str, name: str, dimensions: Iterable[Mapping[str, str]] = ()) -> MetricKey:
        """From the API's ``Dimensions`` list (``[{"Name": ..., "Value": ...}]``)."""
        return MetricKey(
            namespace, name, tuple(sorted((d["Name"], d["Value"]) for d in dimensions))
        )

    def dimension_list(self) -> list[dict[str, str]]:
        return [{"Name": n, "Value": v} for n, v in self.dimensions]


@dataclass(frozen=True)
class StatisticSet:
    """What CloudWatch keeps of a set of samples (its ``StatisticValues``)."""

    sample_count: float
    sum: float
    minimum: float
    maximum: float

    @staticmethod
    def single(value: float) -> StatisticSet:
        return StatisticSet(1.0, value, value, value)

    def merge(self, other: StatisticSet) -> StatisticSet:
        return StatisticSet(
            self.sample_count + other.sample_count,
            self.sum + other.sum,
            min(self.minimum, other.minimum),
            max(self.maximum, other.maximum),
        )

    def value(self, statistic: Statistic) -> float:
        match statistic:
            case Statistic.SAMPLE_COUNT:
                return self.sample_count
            case Statistic.AVERAGE:
                return self.sum / self.sample_count if self.sample_count else 0.0
            case Statistic.SUM:
                return self.sum
            case Statistic.MINIMUM:
                return self.minimum
            case Statistic.MAXIMUM:
                return self.maximum


def merged(sets: Iterable[StatisticSet]) -> StatisticSet | None:
    total: StatisticSet | None = None
    for s in sets:
        total = s if total is None else total.merge(s)
    return total


def alarm_arn(name: str) -> str:
    return f"arn:aws:cloudwatch:{arns.REGION}:{arns.ACCOUNT_ID}:alarm:{name}"


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


@dataclass(frozen=True)
class AlarmRule:
    """What an alarm watches and when it fires: the part evaluation reads."""

    metric: MetricKey
    statistic: Statistic
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison_operator: str
    treat_missing_data: TreatMissingData = TreatMissingData.MISSING

    def breaches(self, value: float) -> bool:
        compare, _ = COMPARISONS[self.comparison_operator]
        return compare(value, self.threshold)


@dataclass
class MetricAlarm:
    """One metric alarm, as PutMetricAlarm set it and evaluation moved its state."""

    name: str
    rule: AlarmRule
    configured_at: float
    state_updated_at: float
    description: str | None = None
    actions_enabled: bool = True
    ok_actions: list[str] = field(default_factory=list)
    alarm_actions: list[str] = field(default_factory=list)
    insufficient_data_actions: list[str] = field(default_factory=list)
    unit: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)
    state: AlarmState = AlarmState.INSUFFICIENT_DATA
    state_reason: str = "Unchecked: Initial alarm creation"
    state_reason_data: str | None = None

    @property
    def arn(self) -> str:
        return alarm_arn(self.name)

    def set_state(
        self, state: AlarmState, reason: str, reason_data: str | None, now: float
    ) -> None:
        self.state = state
        self.state_reason = reason
        self.state_reason_data = reason_data
        self.state_updated_at = now

    def describe(self) -> dict[str, Any]:
        """The ``MetricAlarm`` output shape."""
        rule = self.rule
        out: dict[str, Any] = {
            "AlarmName": self.name,
            "AlarmArn": self.arn,
            "AlarmConfigurationUpdatedTimestamp": _utc(self.configured_at),
            "ActionsEnabled": self.actions_enabled,
            "OKActions": list(self.ok_actions),
            "AlarmActions": list(self.alarm_actions),
            "InsufficientDataActions": list(self.insufficient_data_actions),
            "StateValue": self.state.value,
            "StateReason": self.state_reason,
            "StateUpdatedTimestamp": _utc(self.state_updated_at),
            "StateTransitionedTimestamp": _utc(self.state_updated_at),
            "MetricName": rule.metric.name,
            "Namespace": rule.metric.namespace,
            "Statistic": rule.statistic.value,
            "Dimensions": rule.metric.dimension_list(),
            "Period": rule.period,
            "EvaluationPeriods": rule.evaluation_periods,
            "DatapointsToAlarm": rule.datapoints_to_alarm,
            "Threshold": rule.threshold,
            "ComparisonOperator": rule.comparison_operator,
            "TreatMissingData": rule.treat_missing_data.value,
        }
        if self.description is not None:
            out["AlarmDescription"] = self.description
        if self.state_reason_data is not None:
            out["StateReasonData"] = self.state_reason_data
        if self.unit is not None:
            out["Unit"] = self.unit
        return out
