"""Traffic steps of a BLUE_GREEN/LINEAR/CANARY deployment, read back from service events.

The scheduler publishes ``LifecycleStageStarted`` and ``TrafficShifted`` events
(:mod:`harness.ecs.events`); the load test only sees them as ``DescribeServices``
messages, so this module reads those messages back into stages and production steps
(the configured green weight from one shift to the next) and measures, per step, the
share of answers the green model version gave. That is what the report's share chart
draws against the configured weight and what the ``traffic_share`` gate judges.

Which version is green: the scheduler lists blue first and green last in a shift's
weights, and the records only carry ``X-Model-Version``, so green is the version that
first answered last (the new model). A run whose versions cannot be told apart (one
version only) has steps but no measurable share.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harness.report.records import RequestRecord
from harness.report.run import DeploymentEvent

_SHIFT = re.compile(
    r"shifted (?P<kind>production|test) traffic of \(listener-rule (?P<rule>[^)]+)\): "
    r"(?P<weights>.*)\.$"
)
_WEIGHT = re.compile(r"(?P<weight>\d+)% to \(target-group (?P<group>[^)]+)\)")
_STAGE = re.compile(r"entered lifecycle stage (?P<stage>[A-Z_]+)\.")

#: Seconds after a shift before its step is measured: the balancer applies new weights
#: within one driver tick, and requests already in flight were routed by the old ones.
DEFAULT_SETTLE_S = 1.0


@dataclass(frozen=True)
class TrafficShift:
    """One ``TrafficShifted`` event: the weights a listener rule got, green last."""

    at: float
    production: bool
    rule_arn: str
    weights: tuple[tuple[str, int], ...]

    @property
    def green_weight(self) -> int:
        return self.weights[-1][1] if self.weights else 0


@dataclass(frozen=True)
class TrafficStep:
    """Production traffic at ``green_weight`` % green from ``start`` until ``end``."""

    start: float
    end: float
    green_weight: int


@dataclass(frozen=True)
class StepShare:
    """What clients saw during one step: answers counted and green's observed share."""

    step: TrafficStep
    answers: int
    green_answers: int

    @property
    def observed_pct(self) -> float | None:
        return 100.0 * self.green_answers / self.answers if self.answers else None

    @property
    def deviation_pct(self) -> float | None:
        observed = self.observed_pct
        return None if observed is None else abs(observed - self.step.green_weight)


def traffic_shift(event: DeploymentEvent) -> TrafficShift | None:
    """The shift an event message tells of, or None for any other event."""
    found = _SHIFT.search(event.message)
    if found is None:
        return None
    weights = tuple((m["group"], int(m["weight"])) for m in _WEIGHT.finditer(found["weights"]))
    return TrafficShift(event.at, found["kind"] == "production", found["rule"], weights)


def lifecycle_stage(event: DeploymentEvent) -> str | None:
    """The lifecycle stage an event says was entered, or None."""
    found = _STAGE.search(event.message)
    return found["stage"] if found else None


def production_steps(events: Iterable[DeploymentEvent], ended_at: float) -> list[TrafficStep]:
    """Each production weight, from its shift to the next one (the last to ``ended_at``).

    Several rules shifted at the same moment (one per load balancer) are one step.
    """
    shifts = sorted(
        (s for s in map(traffic_shift, events) if s is not None and s.production),
        key=lambda s: s.at,
    )
    steps: list[TrafficStep] = []
    for index, shift in enumerate(shifts):
        if steps and steps[-1].start == shift.at:
            continue
        end = next((s.at for s in shifts[index + 1 :] if s.at > shift.at), ended_at)
        steps.append(TrafficStep(shift.at, max(end, shift.at), shift.green_weight))
    return steps


def green_version(records: Iterable[RequestRecord]) -> str | None:
    """The model version that first answered last; None when fewer than two answered."""
    first: dict[str, float] = {}
    for record in records:
        if record.model_version and record.ok:
            first[record.model_version] = min(first.get(record.model_version, record.time),
                                              record.time)  # fmt: skip
    if len(first) < 2:
        return None
    return max(first, key=lambda v: (first[v], v))


def step_shares(
    steps: Sequence[TrafficStep],
    records: Sequence[RequestRecord],
    green: str,
    settle_s: float = DEFAULT_SETTLE_S,
) -> list[StepShare]:
    """Green's answers among the successful answers of each step, after ``settle_s``."""
    shares: list[StepShare] = []
    for step in steps:
        window = [
            r
            for r in records
            if r.ok and r.model_version and step.start + settle_s <= r.time < step.end
        ]
        green_count = sum(1 for r in window if r.model_version == green)
        shares.append(StepShare(step, len(window), green_count))
    return shares


def configured_weight_per_second(
    steps: Sequence[TrafficStep], started_at: float, seconds: int
) -> list[float | None]:
    """The configured green weight during each second of the run (None before any step)."""
    values: list[float | None] = []
    for second in range(seconds):
        at = started_at + second + 0.5
        current = [s.green_weight for s in steps if s.start <= at]
        values.append(float(current[-1]) if current else None)
    return values
