"""What HAProxy saw, as the CloudWatch metrics an ALB publishes (``AWS/ApplicationELB``).

Pure: HAProxy's cumulative counters in, datapoints out. :class:`CounterDeltas` turns each
``show stat`` sample into what happened since the previous one; :func:`alb_datapoints`
names that in CloudWatch's words. Each target group is one HAProxy backend and each
listener one frontend (``harness.ecs.emulator.haproxy_backends``), so:

* ``HTTPCode_Target_5XX_Count``: 5xx the targets sent: the backend's servers' ``hrsp_5xx``.
* ``HTTPCode_ELB_5XX_Count`` (load balancer only, as on AWS): 5xx HAProxy made itself
  (502 bad gateway, 503 no healthy target, 504 timeout): the listeners' frontends'
  ``hrsp_5xx`` less the targets' own.
* ``RequestCount``: requests sent to a target of the group: its servers' ``req_tot``
  (as on AWS, a request HAProxy answered itself for want of a target is not counted).
* ``TargetResponseTime`` (seconds): the backend's ``rtime``, HAProxy's average over its
  last 1024 requests, weighted by the period's requests. An approximation: HAProxy keeps
  no per-request sum to divide exactly.

Target group metrics carry ``TargetGroup`` and ``LoadBalancer`` dimensions and the load
balancer's carry ``LoadBalancer``, in AWS's forms (``targetgroup/<name>/<id>``,
``app/<name>/<id>``). Like ALB, nothing is published for a sample without requests, and
the HTTP code counts only when not zero (alarms on them want ``notBreaching``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from harness.ecs.control_plane.cloudwatch.model import MetricKey, StatisticSet
from harness.ecs.control_plane.elbv2.model import LoadBalancer, TargetGroup
from harness.ecs.haproxy.model import Backend
from harness.ecs.haproxy.routing_config import frontend_name
from harness.ecs.haproxy.stats import BACKEND, FRONTEND, TrafficCounters

NAMESPACE = "AWS/ApplicationELB"

_Row = tuple[str, str]  # (proxy, svname)


@dataclass(frozen=True)
class Delta:
    """One row's traffic between two samples; ``response_time_ms`` is the latest value."""

    requests: int
    responses_5xx: int
    response_time_ms: int


class CounterDeltas:
    """Cumulative counters -> increments between samples.

    The first sample is a baseline (counters may hold traffic from before this emulator
    started). A row seen for the first time later is new in HAProxy (a server added, a
    backend created), so all it counted is new. A counter that went down means a reload
    started a new worker from zero: what it counted since is the increment.
    """

    def __init__(self) -> None:
        self._last: dict[_Row, TrafficCounters] | None = None

    def update(self, rows: Iterable[TrafficCounters]) -> dict[_Row, Delta]:
        current = {(r.proxy, r.name): r for r in rows}
        previous, self._last = self._last, current
        if previous is None:
            return {}
        return {key: _delta(previous.get(key), row) for key, row in current.items()}


def _delta(before: TrafficCounters | None, now: TrafficCounters) -> Delta:
    if before is None or now.requests < before.requests or now.responses_5xx < before.responses_5xx:
        return Delta(now.requests, now.responses_5xx, now.response_time_ms)
    return Delta(
        now.requests - before.requests,
        now.responses_5xx - before.responses_5xx,
        now.response_time_ms,
    )


@dataclass(frozen=True)
class TargetGroupRoute:
    """A target group as the balancer serves it: its ARN and its HAProxy backend."""

    arn: str
    backend: str


@dataclass(frozen=True)
class LoadBalancerRoute:
    """A load balancer: its ARN, its listeners' frontends and the target groups behind."""

    arn: str
    frontends: tuple[str, ...]
    target_groups: tuple[TargetGroupRoute, ...]


def load_balancer_dimension(arn: str) -> str:
    """``app/<name>/<id>`` from the load balancer's ARN (``...:loadbalancer/app/<name>/<id>``)."""
    return arn.split(":loadbalancer/", 1)[1]


def target_group_dimension(arn: str) -> str:
    """``targetgroup/<name>/<id>`` from the target group's ARN."""
    return arn.rsplit(":", 1)[1]


@dataclass(frozen=True)
class MetricDatapoint:
    key: MetricKey
    statistics: StatisticSet
    unit: str


@dataclass
class _Traffic:
    requests: int = 0
    target_5xx: int = 0
    response_time: StatisticSet | None = None

    def add(self, other: _Traffic) -> None:
        self.requests += other.requests
        self.target_5xx += other.target_5xx
        if other.response_time is not None:
            self.response_time = (
                other.response_time
                if self.response_time is None
                else self.response_time.merge(other.response_time)
            )


def _target_group_traffic(backend: str, deltas: dict[_Row, Delta]) -> _Traffic:
    servers = [
        d
        for (proxy, name), d in deltas.items()
        if proxy == backend and name not in (FRONTEND, BACKEND)
    ]
    requests = sum(d.requests for d in servers)
    if requests <= 0:
        return _Traffic()
    target_5xx = sum(d.responses_5xx for d in servers)
    summary = deltas.get((backend, BACKEND))
    seconds = (summary.response_time_ms if summary else 0) / 1000
    n = float(requests)
    return _Traffic(requests, target_5xx, StatisticSet(n, seconds * n, seconds, seconds))


def alb_datapoints(
    deltas: dict[_Row, Delta], load_balancers: Sequence[LoadBalancerRoute]
) -> list[MetricDatapoint]:
    """The datapoints one sample's increments make (see the module doc for each metric)."""
    points: list[MetricDatapoint] = []
    for lb in load_balancers:
        lb_dim = ("LoadBalancer", load_balancer_dimension(lb.arn))
        total = _Traffic()
        for tg in lb.target_groups:
            traffic = _target_group_traffic(tg.backend, deltas)
            total.add(traffic)
            dims = tuple(sorted((("TargetGroup", target_group_dimension(tg.arn)), lb_dim)))
            points += _points(dims, traffic)
        points += _points((lb_dim,), total)
        frontend_5xx = sum(
            d.responses_5xx for f in lb.frontends if (d := deltas.get((f, FRONTEND))) is not None
        )
        elb_5xx = frontend_5xx - total.target_5xx
        if elb_5xx > 0:
            key = MetricKey(NAMESPACE, "HTTPCode_ELB_5XX_Count", (lb_dim,))
            points.append(MetricDatapoint(key, StatisticSet.single(float(elb_5xx)), "Count"))
    return points


def _points(dims: tuple[tuple[str, str], ...], traffic: _Traffic) -> list[MetricDatapoint]:
    if traffic.requests <= 0:
        return []
    points = [
        MetricDatapoint(
            MetricKey(NAMESPACE, "RequestCount", dims),
            StatisticSet.single(float(traffic.requests)),
            "Count",
        )
    ]
    if traffic.response_time is not None:
        points.append(
            MetricDatapoint(
                MetricKey(NAMESPACE, "TargetResponseTime", dims), traffic.response_time, "Seconds"
            )
        )
    if traffic.target_5xx > 0:
        points.append(
            MetricDatapoint(
                MetricKey(NAMESPACE, "HTTPCode_Target_5XX_Count", dims),
                StatisticSet.single(float(traffic.target_5xx)),
                "Count",
            )
        )
    return points


def routes_of(
    load_balancers: Iterable[LoadBalancer], target_groups: Mapping[str, TargetGroup]
) -> list[LoadBalancerRoute]:
    """Each load balancer with its listeners' frontends and the target groups behind it
    (those its listeners forward to, and those that name it)."""
    routes: list[LoadBalancerRoute] = []
    for lb in load_balancers:
        arns = [a for listener in lb.listeners.values() for a in listener.target_group_arns()]
        arns += [a for a, g in target_groups.items() if lb.arn in g.load_balancer_arns]
        groups = tuple(
            TargetGroupRoute(arn, Backend(target_groups[arn].name).proxy_name)
            for arn in dict.fromkeys(arns)
            if arn in target_groups
        )
        frontends = tuple(frontend_name(listener.port) for listener in lb.listeners.values())
        routes.append(LoadBalancerRoute(lb.arn, frontends, groups))
    return routes
