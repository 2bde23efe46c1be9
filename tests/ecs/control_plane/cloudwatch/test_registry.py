"""The registry's alarm life cycle: creation, SetAlarmState until the next evaluation,
all-or-nothing deletion, the quota, and the deployment scheduler's question."""

from __future__ import annotations

from typing import Any

import pytest

from harness.ecs.control_plane.cloudwatch.errors import (
    InvalidFormat,
    InvalidParameterValue,
    LimitExceeded,
    MissingParameter,
    ResourceNotFound,
)
from harness.ecs.control_plane.cloudwatch.model import AlarmState, MetricKey, StatisticSet
from harness.ecs.control_plane.cloudwatch.registry import CloudWatchRegistry
from harness.time_scale import TimeScale

DIMS = [{"Name": "TargetGroup", "Value": "targetgroup/model/0123456789abcdef"}]
KEY = MetricKey.of("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", DIMS)


def alarm(name: str = "five-xx", **changes: Any) -> dict[str, Any]:
    return {
        "AlarmName": name,
        "Namespace": KEY.namespace,
        "MetricName": KEY.name,
        "Dimensions": DIMS,
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 5.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
    } | changes


def test_a_new_alarm_is_insufficient_data_then_follows_its_metric() -> None:
    registry = CloudWatchRegistry(TimeScale(0.05))
    registry.put_metric_alarm(alarm(), now=100.0)
    assert registry.alarm("five-xx").state is AlarmState.INSUFFICIENT_DATA
    registry.metrics.put(KEY, 100.5, StatisticSet.single(6.0))  # period [99, 102)
    assert registry.evaluate(now=101.0) == [registry.alarm("five-xx")]  # notBreaching
    assert registry.alarm("five-xx").state is AlarmState.OK  # the period is not over
    changed = registry.evaluate(now=102.1)
    assert [a.name for a in changed] == ["five-xx"]
    assert registry.alarm("five-xx").state is AlarmState.ALARM
    assert registry.alarm("five-xx").state_updated_at == 102.1
    assert registry.evaluate(now=102.5) == []  # no change, no update


def test_set_alarm_state_lasts_until_an_evaluation_disagrees() -> None:
    registry = CloudWatchRegistry()
    registry.put_metric_alarm(alarm(), now=0.0)
    registry.evaluate(now=1.0)
    registry.set_alarm_state("five-xx", "ALARM", "testing the rollback", '{"a": 1}', now=2.0)
    assert registry.alarms_in_alarm(["five-xx"]) == ["five-xx"]
    assert registry.alarm("five-xx").state_reason == "testing the rollback"
    registry.evaluate(now=3.0)
    assert registry.alarm("five-xx").state is AlarmState.OK


def test_ignore_keeps_a_set_state_while_there_is_no_data() -> None:
    registry = CloudWatchRegistry()
    registry.put_metric_alarm(alarm(TreatMissingData="ignore"), now=0.0)
    registry.set_alarm_state("five-xx", "ALARM", "manual", None, now=1.0)
    assert registry.evaluate(now=200.0) == []
    assert registry.alarm("five-xx").state is AlarmState.ALARM


def test_put_on_an_existing_alarm_overwrites_its_configuration_and_keeps_its_state() -> None:
    registry = CloudWatchRegistry()
    registry.put_metric_alarm(alarm(), now=0.0)
    registry.set_alarm_state("five-xx", "ALARM", "manual", None, now=1.0)
    registry.put_metric_alarm(alarm(Threshold=50.0), now=2.0)
    kept = registry.alarm("five-xx")
    assert kept.state is AlarmState.ALARM and kept.rule.threshold == 50.0
    assert kept.configured_at == 2.0


def test_alarms_in_alarm_answers_among_the_names_asked_and_ignores_unknown_ones() -> None:
    registry = CloudWatchRegistry()
    for name in ("a", "b", "c"):
        registry.put_metric_alarm(alarm(name), now=0.0)
    registry.set_alarm_state("a", "ALARM", "r", None, now=1.0)
    registry.set_alarm_state("c", "ALARM", "r", None, now=1.0)
    assert registry.alarms_in_alarm(["c", "b", "nope", "a"]) == ["c", "a"]
    assert registry.alarms_in_alarm([]) == []


def test_delete_is_all_or_nothing() -> None:
    registry = CloudWatchRegistry()
    registry.put_metric_alarm(alarm("a"), now=0.0)
    with pytest.raises(ResourceNotFound, match="nope"):
        registry.delete_alarms(["a", "nope"])
    assert [a.name for a in registry.alarms()] == ["a"]
    registry.delete_alarms(["a"])
    assert registry.alarms() == []


def test_the_alarm_quota_refuses_a_new_alarm_but_not_an_update() -> None:
    registry = CloudWatchRegistry(max_alarms=1)
    registry.put_metric_alarm(alarm("a"), now=0.0)
    registry.put_metric_alarm(alarm("a", Threshold=2.0), now=1.0)
    with pytest.raises(LimitExceeded):
        registry.put_metric_alarm(alarm("b"), now=2.0)


@pytest.mark.parametrize(
    ("changes", "error", "words"),
    [
        ({"Period": 45}, InvalidParameterValue, "Period"),
        ({"DatapointsToAlarm": 2}, InvalidParameterValue, "DatapointsToAlarm (2)"),
        ({"Period": 60, "EvaluationPeriods": 1441}, InvalidParameterValue, "86400"),
        (
            {"ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"},
            InvalidParameterValue,
            "anomaly",
        ),
        ({"ExtendedStatistic": "p99", "Statistic": None}, InvalidParameterValue, "p99"),
        ({"Metrics": []}, InvalidParameterValue, "Metrics"),
        ({"Threshold": None}, MissingParameter, "Threshold"),
    ],
)
def test_what_cloudwatch_refuses_is_refused_by_name(
    changes: dict[str, Any], error: type[Exception], words: str
) -> None:
    request = {k: v for k, v in (alarm() | changes).items() if v is not None}
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        CloudWatchRegistry().put_metric_alarm(request, now=0.0)


def test_state_reason_data_must_be_json() -> None:
    registry = CloudWatchRegistry()
    registry.put_metric_alarm(alarm(), now=0.0)
    with pytest.raises(InvalidFormat):
        registry.set_alarm_state("five-xx", "ALARM", "r", "{not json", now=1.0)
    with pytest.raises(ResourceNotFound, match="Alarm nope not found"):
        registry.set_alarm_state("nope", "ALARM", "r", None, now=1.0)
