"""Alarm evaluation against CloudWatch's documented rules: M of N, the four ways of
treating missing data, the comparison operators, and periods on the time scale."""

from __future__ import annotations

import json

import pytest

from harness.ecs.control_plane.cloudwatch.evaluation import (
    Datapoint,
    evaluate,
    evaluation_range,
)
from harness.ecs.control_plane.cloudwatch.metrics import MetricStore
from harness.ecs.control_plane.cloudwatch.model import (
    AlarmRule,
    AlarmState,
    MetricKey,
    Statistic,
    StatisticSet,
    TreatMissingData,
)
from harness.time_scale import TimeScale

KEY = MetricKey("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", (("TargetGroup", "tg"),))
OK, ALARM, INSUFFICIENT = AlarmState.OK, AlarmState.ALARM, AlarmState.INSUFFICIENT_DATA


def rule(
    m: int = 3,
    n: int = 3,
    treat: TreatMissingData = TreatMissingData.MISSING,
    operator: str = "GreaterThanOrEqualToThreshold",
    threshold: float = 1.0,
    statistic: Statistic = Statistic.SUM,
) -> AlarmRule:
    return AlarmRule(KEY, statistic, 60, n, m, threshold, operator, treat)


def points(spec: str) -> list[Datapoint]:
    """``"0 X -"``: not breaching (0.0), breaching (5.0), missing; oldest first."""
    value = {"0": 0.0, "X": 5.0, "-": None}
    return [Datapoint(i * 60.0, value[c]) for i, c in enumerate(spec.split())]


# AWS's table for an alarm of 3 out of 3 datapoints, per TreatMissingData:
# (datapoints, missing, ignore, breaching, notBreaching); None = the state is kept.
TABLE = [
    ("0 0 0", OK, OK, OK, OK),
    ("0 0 X", OK, OK, OK, OK),
    ("X X X", ALARM, ALARM, ALARM, ALARM),
    ("0 0 -", OK, OK, OK, OK),
    ("0 X -", OK, OK, OK, OK),
    ("X X -", ALARM, ALARM, ALARM, OK),
    ("- - X", ALARM, ALARM, ALARM, OK),
    ("- - 0", OK, OK, OK, OK),
    ("- - -", INSUFFICIENT, None, ALARM, OK),
]


@pytest.mark.parametrize(("spec", "missing", "ignore", "breaching", "not_breaching"), TABLE)
def test_three_of_three_follows_aws_table(
    spec: str,
    missing: AlarmState,
    ignore: AlarmState | None,
    breaching: AlarmState,
    not_breaching: AlarmState,
) -> None:
    for treat, expected in (
        (TreatMissingData.MISSING, missing),
        (TreatMissingData.IGNORE, ignore),
        (TreatMissingData.BREACHING, breaching),
        (TreatMissingData.NOT_BREACHING, not_breaching),
    ):
        verdict = evaluate(rule(treat=treat), points(spec), current=OK)
        assert (verdict.state if verdict else None) == expected, (spec, treat)


def test_m_of_n_needs_m_breaching_datapoints_anywhere_in_the_range() -> None:
    two_of_five = rule(m=2, n=5)
    assert evaluate(two_of_five, points("X 0 0 0 X"), OK).state is ALARM
    assert evaluate(two_of_five, points("0 0 0 0 X"), ALARM).state is OK


@pytest.mark.parametrize(
    ("operator", "value", "breaches"),
    [
        ("GreaterThanOrEqualToThreshold", 1.0, True),
        ("GreaterThanThreshold", 1.0, False),
        ("LessThanThreshold", 0.5, True),
        ("LessThanOrEqualToThreshold", 1.0, True),
        ("LessThanThreshold", 1.0, False),
    ],
)
def test_comparison_operators_compare_with_the_threshold(
    operator: str, value: float, breaches: bool
) -> None:
    verdict = evaluate(rule(m=1, n=1, operator=operator), [Datapoint(0.0, value)], OK)
    assert verdict.state is (ALARM if breaches else OK)


def test_the_reason_names_the_datapoints_and_the_threshold_as_aws_words_it() -> None:
    verdict = evaluate(rule(m=2, n=3), points("0 X X"), OK)
    assert verdict.reason == (
        "Threshold Crossed: 2 out of the last 3 datapoints [5.0 (01/01/70 00:02:00), "
        "5.0 (01/01/70 00:01:00)] were greater than or equal to the threshold (1.0) "
        "(minimum 2 datapoints for OK -> ALARM transition)."
    )
    single = evaluate(rule(m=1, n=1), points("0"), ALARM)
    assert single.reason == (
        "Threshold Crossed: 1 datapoint [0.0 (01/01/70 00:00:00)] was not greater than or "
        "equal to the threshold (1.0)."
    )
    data = json.loads(verdict.reason_data)
    assert data["recentDatapoints"] == [0.0, 5.0, 5.0] and data["threshold"] == 1.0


def test_no_data_at_all_is_insufficient_data() -> None:
    verdict = evaluate(rule(m=1, n=2), points("- -"), OK)
    assert verdict.state is INSUFFICIENT
    assert verdict.reason == "Insufficient Data: 2 datapoints were unknown."


def test_the_range_is_the_last_n_complete_periods_on_the_time_scale() -> None:
    """Period 60 at scale 0.05 lasts 3 wall seconds; the current period is not judged."""
    store = MetricStore()
    scale = TimeScale(0.05)
    store.put(KEY, 1000.5, StatisticSet.single(2.0))  # period [999, 1002)
    store.put(KEY, 1001.0, StatisticSet.single(3.0))
    store.put(KEY, 1003.0, StatisticSet.single(7.0))  # [1002, 1005)
    store.put(KEY, 1005.5, StatisticSet.single(100.0))  # current period at now=1006
    got = evaluation_range(store, rule(n=3), now=1006.0, scale=scale)
    assert [(p.start, p.value) for p in got] == [(996.0, None), (999.0, 5.0), (1002.0, 7.0)]


def test_statistics_of_a_period() -> None:
    store = MetricStore()
    for v in (1.0, 2.0, 6.0):
        store.put(KEY, 10.0, StatisticSet.single(v))
    want = {
        Statistic.SUM: 9.0,
        Statistic.AVERAGE: 3.0,
        Statistic.MINIMUM: 1.0,
        Statistic.MAXIMUM: 6.0,
        Statistic.SAMPLE_COUNT: 3.0,
    }
    for statistic, value in want.items():
        got = evaluation_range(store, rule(n=1, statistic=statistic), 60.0, TimeScale())
        assert got[0].value == value, statistic
