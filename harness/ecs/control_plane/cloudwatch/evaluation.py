"""Alarm evaluation as CloudWatch documents it, pure: datapoints in, a verdict out.

For each of the last ``EvaluationPeriods`` (N) complete periods the alarm's statistic is
one datapoint, or missing when the period has no data. ``TreatMissingData`` decides
what a missing datapoint is:

* ``breaching`` / ``notBreaching``: it counts as breaching / not breaching, so N
  datapoints are always judged: ALARM when at least ``DatapointsToAlarm`` (M) breach,
  else OK.
* ``missing`` / ``ignore``: only the datapoints present are judged. When all N are
  missing, ``missing`` goes to INSUFFICIENT_DATA and ``ignore`` keeps the current state.
  Otherwise ALARM needs M breaching datapoints, or every present one breaching when
  fewer than M are present (AWS's table: 3 of 3 with ``- - X`` is ALARM); else OK.

Periods are complete once they have ended, as CloudWatch evaluates them; a period of
``Period`` AWS seconds lasts ``scale.wall(Period)`` wall seconds. A state changes only
when the verdict differs, so a state set by SetAlarmState lasts until an evaluation
disagrees with it, as on AWS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from harness.ecs.control_plane.cloudwatch.metrics import MetricStore, period_start
from harness.ecs.control_plane.cloudwatch.model import (
    COMPARISONS,
    AlarmRule,
    AlarmState,
    TreatMissingData,
)
from harness.time_scale import TimeScale


@dataclass(frozen=True)
class Datapoint:
    """One evaluated period: its start (epoch seconds) and value (None: missing)."""

    start: float
    value: float | None


@dataclass(frozen=True)
class Verdict:
    state: AlarmState
    reason: str
    reason_data: str


def evaluation_range(
    store: MetricStore, rule: AlarmRule, now: float, scale: TimeScale
) -> list[Datapoint]:
    """The last N complete periods before ``now``, oldest first."""
    period_s = scale.wall(rule.period)
    end = period_start(now, period_s)  # the current, incomplete period starts here
    points: list[Datapoint] = []
    for i in range(rule.evaluation_periods, 0, -1):
        start = end - i * period_s
        stats = store.between(rule.metric, start, start + period_s)
        points.append(Datapoint(start, stats.value(rule.statistic) if stats else None))
    return points


def evaluate(rule: AlarmRule, points: list[Datapoint], current: AlarmState) -> Verdict | None:
    """The state ``points`` put the alarm in; None: keep ``current`` (``ignore``)."""
    present = [p for p in points if p.value is not None]
    treat = rule.treat_missing_data
    if treat in (TreatMissingData.BREACHING, TreatMissingData.NOT_BREACHING):
        judged = [
            (
                p,
                rule.breaches(p.value)
                if p.value is not None
                else treat is TreatMissingData.BREACHING,
            )
            for p in points
        ]
        needed = rule.datapoints_to_alarm
    else:
        if not present:
            if treat is TreatMissingData.IGNORE:
                return None
            return Verdict(
                AlarmState.INSUFFICIENT_DATA,
                f"Insufficient Data: {_count(len(points))} {_was(len(points))} unknown.",
                _reason_data(rule, points),
            )
        judged = [(p, rule.breaches(p.value)) for p in present if p.value is not None]
        needed = min(rule.datapoints_to_alarm, len(judged))
    breaching = [p for p, b in judged if b]
    if len(breaching) >= needed:
        shown, verb = breaching, ""
        state = AlarmState.ALARM
    else:
        shown, verb = [p for p, b in judged if not b], "not "
        state = AlarmState.OK
    _, words = COMPARISONS[rule.comparison_operator]
    of = f" out of the last {len(points)}" if len(points) > 1 else ""
    minimum = (
        f" (minimum {_count(rule.datapoints_to_alarm)} for OK -> ALARM transition)"
        if rule.evaluation_periods > 1
        else ""
    )
    reason = (
        f"Threshold Crossed: {_count(len(shown), of)} [{_listing(shown)}] "
        f"{_was(len(shown))} {verb}{words} the threshold ({rule.threshold}){minimum}."
    )
    return Verdict(state, reason, _reason_data(rule, points))


def _count(n: int, of: str = "") -> str:
    return f"{n}{of} datapoint{'s' if n != 1 or of else ''}"


def _was(n: int) -> str:
    return "was" if n == 1 else "were"


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%d/%m/%y %H:%M:%S")


def _listing(points: list[Datapoint]) -> str:
    newest_first = sorted(points, key=lambda p: p.start, reverse=True)
    return ", ".join(
        f"{p.value if p.value is not None else 'missing'} ({_stamp(p.start)})" for p in newest_first
    )


def _reason_data(rule: AlarmRule, points: list[Datapoint]) -> str:
    """``StateReasonData`` as AWS writes it (version 1.0, the evaluated datapoints)."""
    iso = "%Y-%m-%dT%H:%M:%S.000+0000"
    return json.dumps(
        {
            "version": "1.0",
            "statistic": rule.statistic.value,
            "period": rule.period,
            "threshold": rule.threshold,
            "recentDatapoints": [p.value for p in points if p.value is not None],
            "evaluatedDatapoints": [
                {"timestamp": datetime.fromtimestamp(p.start, tz=UTC).strftime(iso)}
                | ({"value": p.value} if p.value is not None else {})
                for p in reversed(points)
            ],
        }
    )
