"""Traffic steps read back from the scheduler's own event wording; the traffic_share gate;
the report's stage and step marks and its configured-weight line."""

from __future__ import annotations

from harness.ecs import events as ev
from harness.report.gates import GateThresholds, traffic_share_gate
from harness.report.html import chart_data, charts, numbered_events, render_html
from harness.report.records import RequestRecord
from harness.report.rollout_report import analyse
from harness.report.run import DeploymentEvent, RolloutRun
from harness.report.traffic_steps import (
    configured_weight_per_second,
    green_version,
    lifecycle_stage,
    production_steps,
    step_shares,
    traffic_shift,
)
from tests.report.synthetic import synthetic_run

START = 1_700_000_000.0
BLUE_TG, GREEN_TG, RULE = "arn:tg/blue/1", "arn:tg/green/2", "arn:listener-rule/app/x/y/1"
RATE = 100  # answers per second


def _event(event: ev.ServiceEventBase) -> DeploymentEvent:
    """As the load test sees it: the message DescribeServices shows."""
    return DeploymentEvent(event.at, event.message)


def _shift(at: float, green: int, production: bool = True) -> DeploymentEvent:
    weights = ((BLUE_TG, 100 - green), (GREEN_TG, green))
    return _event(ev.TrafficShifted("web", START + at, "d1", RULE, weights, production))


def _stage(at: float, stage: str) -> DeploymentEvent:
    return _event(ev.LifecycleStageStarted("web", START + at, "d1", stage))


def canary_run(observed: dict[int, float], errors_at: float | None = None) -> RolloutRun:
    """0 % until 10 s, the canary (10 %) until 40 s, 100 % until 60 s; in each step green
    answers ``observed[weight]`` of the requests, exactly (every n-th)."""
    plan = [(0.0, 10.0, 0), (10.0, 40.0, 10), (40.0, 60.0, 100)]
    records: list[RequestRecord] = []
    for start, end, weight in plan:
        share = observed.get(weight, weight / 100)
        n = int((end - start) * RATE)
        for i in range(n):
            t = START + start + (i + 0.5) / RATE
            green = int((i + 1) * share) > int(i * share)
            bad = errors_at is not None and abs(t - START - errors_at) < 0.02
            records.append(
                RequestRecord(
                    time=t,
                    status=500 if bad else 200,
                    latency_ms=10.0,
                    model_version="2" if green else "1",
                    task_id="g" if green else "b",
                    endpoint="/predict",
                    error="HTTP 500" if bad else "",
                )
            )
    events = [
        DeploymentEvent(START + 1.0, "UpdateService", "trigger"),
        _stage(2.0, "RECONCILE_SERVICE"),
        _shift(2.0, 0),
        _stage(3.0, "SCALE_UP"),
        _stage(9.0, "TEST_TRAFFIC_SHIFT"),
        _shift(9.0, 100, production=False),
        _stage(10.0, "PRODUCTION_TRAFFIC_SHIFT"),
        _shift(10.0, 10),
        _shift(40.0, 100),
        _stage(41.0, "BAKE_TIME"),
        DeploymentEvent(START + 42.0, "(service web) has reached a steady state."),
    ]
    return RolloutRun(records, events, START, START + 60.0, START + 1.0)


def test_the_schedulers_wording_reads_back_as_shifts_and_stages() -> None:
    shift = traffic_shift(_shift(10.0, 10))
    assert shift is not None and shift.production and shift.rule_arn == RULE
    assert shift.weights == ((BLUE_TG, 90), (GREEN_TG, 10)) and shift.green_weight == 10
    test = traffic_shift(_shift(9.0, 100, production=False))
    assert test is not None and not test.production
    assert lifecycle_stage(_stage(1.0, "POST_SCALE_UP")) == "POST_SCALE_UP"
    other = DeploymentEvent(START, "(service web) has reached a steady state.")
    assert traffic_shift(other) is None and lifecycle_stage(other) is None


def test_production_steps_run_from_shift_to_shift_and_ignore_the_test_listener() -> None:
    steps = production_steps(canary_run({}).events, START + 60.0)
    assert [(s.start - START, s.end - START, s.green_weight) for s in steps] == [
        (2.0, 10.0, 0),
        (10.0, 40.0, 10),
        (40.0, 60.0, 100),
    ]
    # two rules shifted at the same moment (two load balancers) are one step
    doubled = [_shift(10.0, 10), _shift(10.0, 10), _shift(20.0, 50)]
    assert [s.green_weight for s in production_steps(doubled, START + 30)] == [10, 50]


def test_green_is_the_version_that_answered_last_and_shares_skip_the_settle_time() -> None:
    run = canary_run({10: 0.12})
    assert green_version(run.records) == "2"
    steps = production_steps(run.events, run.ended_at)
    shares = step_shares(steps, run.records, "2", settle_s=1.0)
    assert [s.answers for s in shares] == [700, 2900, 1900]
    assert shares[0].observed_pct == 0.0
    assert abs((shares[1].observed_pct or 0) - 12.0) < 0.05
    assert shares[2].observed_pct == 100.0
    assert abs((shares[1].deviation_pct or 0) - 2.0) < 0.05
    one_version = [r for r in run.records if r.model_version == "1"]
    assert green_version(one_version) is None


def test_the_gate_passes_within_the_tolerance_and_names_every_step() -> None:
    gate = traffic_share_gate(canary_run({10: 0.12}), GateThresholds())
    assert gate is not None and gate.passed and gate.name == "traffic_share"
    assert gate.measured is not None and abs(gate.measured - 2.0) < 0.05
    assert gate.threshold == 3.0
    assert "0% -> 0.0% of 700" in gate.reason and "10% -> 12.0% of 2900" in gate.reason
    assert "100% -> 100.0% of 1900" in gate.reason


def test_the_gate_fails_a_step_off_by_more_than_the_tolerance() -> None:
    gate = traffic_share_gate(canary_run({10: 0.15}), GateThresholds())
    assert gate is not None and not gate.passed
    assert gate.measured is not None and abs(gate.measured - 5.0) < 0.05
    assert "over the limit of 3" in gate.reason
    relaxed = traffic_share_gate(canary_run({10: 0.15}), GateThresholds(max_share_deviation_pct=6))
    assert relaxed is not None and relaxed.passed


def test_the_gate_does_not_judge_small_steps_and_fails_when_none_is_judged() -> None:
    gate = traffic_share_gate(canary_run({10: 0.12}), GateThresholds(min_step_requests=1000))
    assert gate is not None and gate.passed
    assert "0% -> not judged (700 answers)" in gate.reason
    none = traffic_share_gate(canary_run({}), GateThresholds(min_step_requests=10_000))
    assert none is not None and not none.passed and none.measured is None
    assert "no traffic step had 10000 answers" in none.reason


def test_the_gate_fails_when_versions_cannot_be_told_apart_and_is_off_for_rolling() -> None:
    run = canary_run({})
    same = [RequestRecord(r.time, r.status, r.latency_ms, "1", r.task_id, r.endpoint, r.error)
            for r in run.records]  # fmt: skip
    gate = traffic_share_gate(RolloutRun(same, run.events, START, START + 60), GateThresholds())
    assert gate is not None and not gate.passed and "fewer than two model versions" in gate.reason
    assert traffic_share_gate(synthetic_run(errors=False), GateThresholds()) is None
    off = GateThresholds(max_share_deviation_pct=None)
    assert traffic_share_gate(run, off) is None


def test_the_report_adds_the_gate_only_to_traffic_shifting_runs() -> None:
    names = [g.name for g in analyse(canary_run({10: 0.11}), GateThresholds()).gates]
    assert names[-1] == "traffic_share"
    rolling = [g.name for g in analyse(synthetic_run(errors=False), GateThresholds()).gates]
    assert "traffic_share" not in rolling


def test_marks_name_stages_and_steps_and_the_share_chart_draws_the_configured_weight() -> None:
    report = analyse(canary_run({10: 0.1}), GateThresholds())
    labels = [label for label, _ in numbered_events(report)]
    assert labels == [
        "T",
        "1 RECONCILE_SERVICE",
        "2 0%",
        "3 SCALE_UP",
        "4 TEST_TRAFFIC_SHIFT",
        "5 test 100%",
        "6 PRODUCTION_TRAFFIC_SHIFT",
        "7 10%",
        "8 100%",
        "9 BAKE_TIME",
        "10",
    ]
    share_chart = charts(report)[2]
    assert "configured green weight" in share_chart
    # the line sits at 100 - weight: 90 % of the plot height during the canary
    series = {s["name"]: s["values"] for s in chart_data(report)["charts"]["chart-share"]["series"]}
    configured = series["configured green weight"]
    assert configured[0] is None and configured[5] == 0.0
    assert configured[20] == 10.0 and configured[50] == 100.0
    assert "traffic_share" in render_html(report)


def test_configured_weight_per_second_follows_the_steps() -> None:
    steps = production_steps([_shift(1.2, 0), _shift(3.0, 25)], START + 5)
    assert configured_weight_per_second(steps, START, 5) == [None, 0.0, 0.0, 25.0, 25.0]


def test_a_rolling_report_has_no_configured_line() -> None:
    report = analyse(synthetic_run(errors=False), GateThresholds())
    assert "configured green weight" not in charts(report)[2]
