"""CloudWatch operations: validated request in (botocore's CloudWatch model), output
shape out. Same contract as the ECS, ELBv2 and ECR operations; the rules live in
:mod:`.validation` and :mod:`.registry`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.utils import parse_to_aware_datetime

from harness.ecs.control_plane.cloudwatch.errors import (
    InvalidNextToken,
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
)
from harness.ecs.control_plane.cloudwatch.model import MetricKey, Statistic, StatisticSet
from harness.ecs.control_plane.cloudwatch.validation import (
    MAX_DATAPOINTS_PER_CALL,
    check_namespace,
    check_statistics_period,
)
from harness.ecs.control_plane.errors import InvalidParameterException
from harness.ecs.control_plane.pagination import paginate, with_token

if TYPE_CHECKING:
    from harness.ecs.control_plane.plane import ControlPlane, Operation


def put_metric_alarm(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cp.cloudwatch.put_metric_alarm(req, cp.clock())
    return {}


def describe_alarms(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    if "AlarmNames" in req and "AlarmNamePrefix" in req:
        raise InvalidParameterCombination(
            "AlarmNames and AlarmNamePrefix cannot be specified together."
        )
    for member in ("ChildrenOfAlarmName", "ParentsOfAlarmName"):
        if member in req:
            raise InvalidParameterValue(f"{member} is not emulated: there are no composite alarms.")
    types = req.get("AlarmTypes") or ["MetricAlarm"]
    alarms = (
        cp.cloudwatch.alarms(
            req.get("AlarmNames"),
            req.get("AlarmNamePrefix"),
            req.get("StateValue"),
            req.get("ActionPrefix"),
        )
        if "MetricAlarm" in types
        else []
    )
    try:
        page, token = paginate(alarms, req, "NextToken", "MaxRecords", default_size=50)
    except InvalidParameterException as exc:
        raise InvalidNextToken(exc.message) from None
    output: dict[str, Any] = {"MetricAlarms": [a.describe() for a in page]}
    if "CompositeAlarm" in types:
        output["CompositeAlarms"] = []
    return with_token(output, token, "NextToken")


def delete_alarms(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cp.cloudwatch.delete_alarms(req["AlarmNames"])
    return {}


def set_alarm_state(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cp.cloudwatch.set_alarm_state(
        req["AlarmName"],
        req["StateValue"],
        req["StateReason"],
        req.get("StateReasonData"),
        cp.clock(),
    )
    return {}


def put_metric_data(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    check_namespace(req["Namespace"])
    if "EntityMetricData" in req:
        raise InvalidParameterValue("EntityMetricData is not emulated by Drydock.")
    data = req.get("MetricData") or []
    if not data:
        raise MissingParameter("The parameter MetricData is required.")
    now = cp.clock()
    # judge every datum before storing any, so a bad request stores nothing
    parsed = [(datum, _statistics_of(datum)) for datum in data]
    for datum, stats in parsed:
        key = MetricKey.of(req["Namespace"], datum["MetricName"], datum.get("Dimensions") or [])
        at = _epoch(datum["Timestamp"]) if "Timestamp" in datum else now
        cp.cloudwatch.metrics.put(key, at, stats, datum.get("Unit"))
    return {}


def _statistics_of(datum: dict[str, Any]) -> StatisticSet:
    given = [m for m in ("Value", "StatisticValues", "Values") if m in datum]
    if len(given) != 1:
        raise InvalidParameterCombination(
            f"Metric {datum['MetricName']}: give exactly one of Value, StatisticValues or "
            f"Values, not {', '.join(given) or 'none'}."
        )
    if "Value" in datum:
        return StatisticSet.single(datum["Value"])
    if "StatisticValues" in datum:
        s = datum["StatisticValues"]
        return StatisticSet(s["SampleCount"], s["Sum"], s["Minimum"], s["Maximum"])
    values = datum["Values"]
    counts = datum.get("Counts") or [1.0] * len(values)
    if len(counts) != len(values) or not values:
        raise InvalidParameterValue(
            f"Metric {datum['MetricName']}: Values and Counts must be non-empty and as long "
            "as each other."
        )
    return StatisticSet(
        sum(counts),
        sum(v * c for v, c in zip(values, counts, strict=True)),
        min(values),
        max(values),
    )


def get_metric_statistics(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    if "ExtendedStatistics" in req:
        raise InvalidParameterValue("ExtendedStatistics (percentiles) are not emulated by Drydock.")
    statistics = [Statistic(s) for s in req.get("Statistics") or []]
    if not statistics:
        raise MissingParameter("The parameter Statistics or ExtendedStatistics must be specified.")
    period = req["Period"]
    check_statistics_period(period)
    start = _epoch(req["StartTime"])
    end = _epoch(req["EndTime"])
    if start >= end:
        raise InvalidParameterValue(
            "The parameter StartTime must be less than the parameter EndTime."
        )
    registry = cp.cloudwatch
    period_s = registry.scale.wall(period)
    requested = int(-(-(end - start) // period_s))
    if requested > MAX_DATAPOINTS_PER_CALL:
        raise InvalidParameterCombination(
            f"You have requested up to {requested} datapoints, which exceeds the limit of "
            f"{MAX_DATAPOINTS_PER_CALL}. You may reduce the datapoints requested by increasing "
            "Period, or decreasing the time range."
        )
    key = MetricKey.of(req["Namespace"], req["MetricName"], req.get("Dimensions") or [])
    unit = req.get("Unit") or registry.metrics.unit(key) or "None"
    datapoints = []
    for found in registry.metrics.periods(key, start, end, period_s):
        point: dict[str, Any] = {
            "Timestamp": datetime.fromtimestamp(found.start, tz=UTC),
            "Unit": unit,
        }
        for statistic in statistics:
            point[statistic.value] = found.statistics.value(statistic)
        datapoints.append(point)
    return {"Label": req["MetricName"], "Datapoints": datapoints}


def list_metrics(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    wanted = req.get("Dimensions") or []
    found = []
    for key in sorted(
        cp.cloudwatch.metrics.keys(), key=lambda k: (k.namespace, k.name, k.dimensions)
    ):
        dims = dict(key.dimensions)
        if req.get("Namespace") not in (None, key.namespace) or req.get("MetricName") not in (
            None,
            key.name,
        ):
            continue
        if any(
            f["Name"] not in dims or f.get("Value", dims[f["Name"]]) != dims[f["Name"]]
            for f in wanted
        ):
            continue
        found.append(
            {"Namespace": key.namespace, "MetricName": key.name, "Dimensions": key.dimension_list()}
        )
    try:
        page, token = paginate(found, req, "NextToken", "MaxRecords", default_size=500)
    except InvalidParameterException as exc:
        raise InvalidNextToken(exc.message) from None
    return with_token({"Metrics": page}, token, "NextToken")


def _epoch(value: Any) -> float:
    """A request timestamp (epoch number, ISO string or datetime) as epoch seconds."""
    return parse_to_aware_datetime(value).timestamp()


CLOUDWATCH_OPERATIONS: dict[str, Operation] = {
    "PutMetricAlarm": put_metric_alarm,
    "DescribeAlarms": describe_alarms,
    "DeleteAlarms": delete_alarms,
    "SetAlarmState": set_alarm_state,
    "PutMetricData": put_metric_data,
    "GetMetricStatistics": get_metric_statistics,
    "ListMetrics": list_metrics,
}

#: Calls the journal keeps: alarms survive a restart (states are re-evaluated; metric
#: data and SetAlarmState's temporary states are not kept).
CLOUDWATCH_MUTATIONS = frozenset({"put_metric_alarm", "delete_alarms"})
