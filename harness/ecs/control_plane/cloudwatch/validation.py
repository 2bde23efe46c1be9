"""CloudWatch's rules for requests, beyond what botocore's model checks (types, ranges,
enums): the combinations and values CloudWatch itself refuses, and what Drydock does
not emulate (metric math, percentiles, anomaly detection), refused by name.
"""

from __future__ import annotations

import json
from typing import Any

from harness.ecs.control_plane.cloudwatch.errors import (
    InvalidFormat,
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
)
from harness.ecs.control_plane.cloudwatch.model import (
    COMPARISONS,
    AlarmRule,
    MetricKey,
    Statistic,
    TreatMissingData,
)

#: Longest an alarm may look back: one day, or seven for periods of an hour or more.
MAX_EVALUATION_SECONDS = 86_400
MAX_EVALUATION_SECONDS_HOURLY = 7 * 86_400

#: GetMetricStatistics answers at most this many datapoints per call.
MAX_DATAPOINTS_PER_CALL = 1440

_NOT_EMULATED = ("Metrics", "ThresholdMetricId", "EvaluationCriteria", "EvaluationInterval")


def alarm_rule(req: dict[str, Any]) -> AlarmRule:
    """PutMetricAlarm's request as the rule evaluation follows, or the error AWS gives."""
    for member in _NOT_EMULATED:
        if member in req:
            raise InvalidParameterValue(
                f"{member} is not emulated by Drydock: alarms watch one metric "
                "(MetricName, Namespace, Statistic)."
            )
    if "ExtendedStatistic" in req:
        if "Statistic" in req:
            raise InvalidParameterCombination(
                "Exactly one of Statistic or ExtendedStatistic must be specified, not both."
            )
        raise InvalidParameterValue(
            f"ExtendedStatistic {req['ExtendedStatistic']} (percentiles) is not emulated by "
            f"Drydock; use a Statistic: {', '.join(s.value for s in Statistic)}."
        )
    for member in (
        "MetricName",
        "Namespace",
        "Statistic",
        "Period",
        "EvaluationPeriods",
        "Threshold",
        "ComparisonOperator",
    ):
        if member not in req:
            raise MissingParameter(f"The parameter {member} is required for a metric alarm.")
    if req["ComparisonOperator"] not in COMPARISONS:
        raise InvalidParameterValue(
            f"ComparisonOperator {req['ComparisonOperator']} needs an anomaly detection band, "
            f"which Drydock does not emulate; use one of {', '.join(COMPARISONS)}."
        )
    period = req["Period"]
    check_alarm_period(period)
    evaluation_periods = req["EvaluationPeriods"]
    limit = MAX_EVALUATION_SECONDS_HOURLY if period >= 3600 else MAX_EVALUATION_SECONDS
    if period * evaluation_periods > limit:
        raise InvalidParameterValue(
            f"Period * EvaluationPeriods ({period} * {evaluation_periods} = "
            f"{period * evaluation_periods} s) must not exceed {limit} s."
        )
    datapoints = req.get("DatapointsToAlarm", evaluation_periods)
    if datapoints > evaluation_periods:
        raise InvalidParameterValue(
            f"DatapointsToAlarm ({datapoints}) must not exceed EvaluationPeriods "
            f"({evaluation_periods})."
        )
    return AlarmRule(
        metric=MetricKey.of(req["Namespace"], req["MetricName"], req.get("Dimensions") or []),
        statistic=Statistic(req["Statistic"]),
        period=period,
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=datapoints,
        threshold=float(req["Threshold"]),
        comparison_operator=req["ComparisonOperator"],
        treat_missing_data=_treat_missing_data(req.get("TreatMissingData")),
    )


def check_alarm_period(period: int) -> None:
    if period not in (10, 20, 30) and (period < 60 or period % 60):
        raise InvalidParameterValue(
            f"The value {period} for parameter Period is not supported: an alarm's period "
            "is 10, 20, 30 or a multiple of 60 seconds."
        )


def check_statistics_period(period: int) -> None:
    """GetMetricStatistics: 1, 5, 10, 20, 30 or a multiple of 60 seconds."""
    if period not in (1, 5, 10, 20, 30) and (period < 60 or period % 60):
        raise InvalidParameterValue(
            f"The parameter Period must be 1, 5, 10, 20, 30 or a multiple of 60, not {period}."
        )


def _treat_missing_data(value: str | None) -> TreatMissingData:
    if value is None:
        return TreatMissingData.MISSING
    try:
        return TreatMissingData(value)
    except ValueError:
        raise InvalidParameterValue(
            f"The value {value} for parameter TreatMissingData is not valid; valid values: "
            f"{', '.join(t.value for t in TreatMissingData)}."
        ) from None


def check_reason_data(data: str | None) -> None:
    if data is None:
        return
    try:
        json.loads(data)
    except ValueError as exc:
        raise InvalidFormat(f"StateReasonData is not valid JSON: {exc}") from None


def check_namespace(namespace: str) -> None:
    """PutMetricData: the ``AWS/`` namespaces are AWS's own."""
    if namespace.startswith("AWS/"):
        raise InvalidParameterValue(
            f"The value {namespace} for parameter Namespace is invalid: namespaces starting "
            "with AWS/ are reserved for AWS's own metrics."
        )
