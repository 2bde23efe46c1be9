"""HAProxy's counters as ALB metrics: increments between samples (baseline, new rows,
reloads), each metric from the rows that stand for it, in AWS's dimensions; and the
sampler that feeds the registry and evaluates alarms from the emulator's loop."""

from __future__ import annotations

from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.cloudwatch import CloudWatchRegistry
from harness.ecs.control_plane.cloudwatch.model import AlarmState, MetricKey, Statistic
from harness.ecs.emulator.alb_metrics import (
    NAMESPACE,
    CounterDeltas,
    LoadBalancerRoute,
    TargetGroupRoute,
    alb_datapoints,
    load_balancer_dimension,
    routes_of,
    target_group_dimension,
)
from harness.ecs.emulator.alb_metrics_sampler import AlbMetricsSampler, sample_interval_s
from harness.ecs.haproxy.errors import RuntimeApiError
from harness.ecs.haproxy.stats import TrafficCounters
from harness.time_scale import TimeScale

LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/50dc6c495c0c9188"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/model/73e2d6bc24d8a067"
ROUTE = LoadBalancerRoute(LB_ARN, ("listener-80",), (TargetGroupRoute(TG_ARN, "tg-model"),))
TG_DIMS = (
    ("LoadBalancer", "app/web/50dc6c495c0c9188"),
    ("TargetGroup", "targetgroup/model/73e2d6bc24d8a067"),
)
LB_DIMS = (("LoadBalancer", "app/web/50dc6c495c0c9188"),)


def row(
    proxy: str, name: str, requests: int = 0, five_xx: int = 0, rtime: int = 0
) -> TrafficCounters:
    return TrafficCounters(proxy, name, requests, five_xx, rtime)


def sample(
    fe: tuple[int, int], be: tuple[int, int, int], servers: dict[str, tuple[int, int]]
) -> list[TrafficCounters]:
    return [
        row("listener-80", "FRONTEND", *fe),
        row("tg-model", "BACKEND", *be),
        *(row("tg-model", name, *counts) for name, counts in servers.items()),
    ]


def by_key(points: list) -> dict[tuple[str, tuple], float]:
    return {(p.key.name, p.key.dimensions): p.statistics.sum for p in points}


def test_dimensions_are_the_arn_tails_aws_uses() -> None:
    assert load_balancer_dimension(LB_ARN) == "app/web/50dc6c495c0c9188"
    assert target_group_dimension(TG_ARN) == "targetgroup/model/73e2d6bc24d8a067"


def test_the_first_sample_is_a_baseline_then_increments_count() -> None:
    deltas = CounterDeltas()
    assert deltas.update(sample((100, 7), (100, 7, 12), {"t-a": (100, 7)})) == {}
    got = deltas.update(sample((130, 9), (130, 9, 15), {"t-a": (130, 9)}))
    assert got[("tg-model", "BACKEND")].requests == 30
    assert got[("tg-model", "t-a")].responses_5xx == 2
    assert got[("tg-model", "BACKEND")].response_time_ms == 15


def test_a_new_server_counts_from_zero_and_a_reload_resets_counters() -> None:
    deltas = CounterDeltas()
    deltas.update(sample((100, 0), (100, 0, 5), {"t-a": (100, 0)}))
    added = deltas.update(sample((110, 0), (110, 0, 5), {"t-a": (105, 0), "t-b": (5, 1)}))
    assert (
        added[("tg-model", "t-b")].requests == 5 and added[("tg-model", "t-b")].responses_5xx == 1
    )
    reloaded = deltas.update(sample((4, 0), (4, 0, 5), {"t-a": (2, 0), "t-b": (2, 0)}))
    assert reloaded[("listener-80", "FRONTEND")].requests == 4
    assert reloaded[("tg-model", "t-a")].requests == 2


def test_target_5xx_elb_5xx_requests_and_response_time() -> None:
    deltas = CounterDeltas()
    deltas.update(sample((0, 0), (0, 0, 0), {"t-a": (0, 0), "t-b": (0, 0)}))
    # 50 requests: 48 sent to targets (6 answered 500), 2 answered 503 by HAProxy itself
    now = deltas.update(sample((50, 8), (50, 8, 120), {"t-a": (25, 6), "t-b": (23, 0)}))
    got = by_key(alb_datapoints(now, [ROUTE]))
    assert got == {
        ("RequestCount", TG_DIMS): 48.0,
        ("TargetResponseTime", TG_DIMS): 0.12 * 48,
        ("HTTPCode_Target_5XX_Count", TG_DIMS): 6.0,
        ("RequestCount", LB_DIMS): 48.0,
        ("TargetResponseTime", LB_DIMS): 0.12 * 48,
        ("HTTPCode_Target_5XX_Count", LB_DIMS): 6.0,
        ("HTTPCode_ELB_5XX_Count", LB_DIMS): 2.0,
    }
    average = next(p for p in alb_datapoints(now, [ROUTE]) if p.key.name == "TargetResponseTime")
    assert average.unit == "Seconds" and average.statistics.sample_count == 48.0
    assert average.statistics.value(Statistic.AVERAGE) == 0.12


def test_nothing_is_published_without_requests_and_zero_5xx_is_not_a_datapoint() -> None:
    deltas = CounterDeltas()
    deltas.update(sample((10, 0), (10, 0, 3), {"t-a": (10, 0)}))
    assert (
        alb_datapoints(deltas.update(sample((10, 0), (10, 0, 3), {"t-a": (10, 0)})), [ROUTE]) == []
    )
    healthy = by_key(
        alb_datapoints(deltas.update(sample((20, 0), (20, 0, 3), {"t-a": (20, 0)})), [ROUTE])
    )
    assert ("HTTPCode_Target_5XX_Count", TG_DIMS) not in healthy
    assert ("HTTPCode_ELB_5XX_Count", LB_DIMS) not in healthy
    assert healthy[("RequestCount", TG_DIMS)] == 10.0


def test_routes_follow_listeners_and_target_groups_in_the_elbv2_model() -> None:
    cp = ControlPlane()
    elbv2 = cp.elbv2
    lb = elbv2.create_load_balancer({"Name": "web", "Subnets": []}, cp.now())
    tg = elbv2.create_target_group(
        {"Name": "model", "Protocol": "HTTP", "Port": 8080, "VpcId": "vpc-1"}
    )
    elbv2.create_listener(
        {
            "LoadBalancerArn": lb.arn,
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg.arn}],
        }
    )
    [route] = routes_of(elbv2.load_balancers.values(), elbv2.target_groups)
    assert route == LoadBalancerRoute(
        lb.arn, ("listener-80",), (TargetGroupRoute(tg.arn, "tg-model"),)
    )


class FakeSource:
    def __init__(self) -> None:
        self.rows: list[TrafficCounters] | Exception = []

    def traffic(self) -> list[TrafficCounters]:
        if isinstance(self.rows, Exception):
            raise self.rows
        return self.rows


def test_the_sampler_feeds_the_registry_and_fires_an_alarm_within_a_period() -> None:
    scale = TimeScale(0.05)
    cp = ControlPlane(cloudwatch=CloudWatchRegistry(scale))
    lb = cp.elbv2.create_load_balancer({"Name": "web", "Subnets": []}, cp.now())
    tg = cp.elbv2.create_target_group(
        {"Name": "model", "Protocol": "HTTP", "Port": 8080, "VpcId": "v"}
    )
    cp.elbv2.create_listener(
        {
            "LoadBalancerArn": lb.arn,
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg.arn}],
        }
    )
    dims = [
        {"Name": "LoadBalancer", "Value": load_balancer_dimension(lb.arn)},
        {"Name": "TargetGroup", "Value": target_group_dimension(tg.arn)},
    ]
    cp.cloudwatch.put_metric_alarm(
        {
            "AlarmName": "5xx",
            "Namespace": NAMESPACE,
            "MetricName": "HTTPCode_Target_5XX_Count",
            "Dimensions": dims,
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 5.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
        },
        now=0.0,
    )
    clock = [1000.0]
    source = FakeSource()
    sampler = AlbMetricsSampler(source, cp, clock=lambda: clock[0])
    assert sampler.interval_s == sample_interval_s(scale) == 0.25

    source.rows = sample((0, 0), (0, 0, 0), {"t-a": (0, 0)})
    sampler.tick()  # the baseline
    clock[0] = 1000.3
    source.rows = sample((9, 9), (9, 9, 4), {"t-a": (9, 9)})
    sampler.tick()
    clock[0] = 1000.4
    source.rows = RuntimeApiError("HAProxy restarting")
    sampler.tick()  # within the interval: not even asked
    key = MetricKey.of(NAMESPACE, "HTTPCode_Target_5XX_Count", dims)
    assert cp.cloudwatch.metrics.between(key, 999.0, 1002.0).sum == 9.0
    assert cp.cloudwatch.alarms_in_alarm(["5xx"]) == []  # its period [999, 1002) is not over
    clock[0] = 1002.1
    sampler.tick()  # HAProxy does not answer: no sample, but alarms are evaluated
    assert cp.cloudwatch.alarms_in_alarm(["5xx"]) == ["5xx"]
    assert cp.cloudwatch.alarm("5xx").state is AlarmState.ALARM
