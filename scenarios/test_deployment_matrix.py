"""What each deployment configuration promises, checked against what clients saw.

A two-task (once four-task) service behind the load balancer is rolled
(``forceNewDeployment``) under steady client load with four (minimumHealthyPercent,
maximumPercent) pairs. Meanwhile
healthy targets are sampled from ``DescribeTargetHealth`` (what the ALB routes to) and
task counts from ``DescribeServices`` (the kit's BoundsWatcher):

* 100 / 200: start first; never fewer than 2 healthy, no client error.
* 50 / 100: stop one, then start one; never fewer than ceil(0.5 x 2) = 1 healthy (and
  with 4 tasks, AWS's own example: stop 2, start 2, never fewer than 2). AWS promises
  capacity, not zero errors, but the old target drains before its task stops, so
  clients see none, and this asserts none.
* 0 / 100: AWS allows stopping every old task before a new one starts; the emulator
  does exactly that (each new task then takes the slot an old one freed), so there is a
  window with no healthy target where HAProxy answers 503. Errors are allowed only
  inside that window, and only as 503.
* 100 / 100: neither a stop nor a start is allowed: the service says it "was unable to
  stop or start tasks during a deployment because of the service deployment
  configuration", the old tasks keep serving and clients see no error.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType

import pytest

from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.testing import BoundsWatcher, ClientLoad, EcsService, Isolation, LocalCloud
from harness.testing.serving import serving_service

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]

DESIRED = 2
#: 30 s scaled: on a loaded two-core machine a task may need over 10 s to load its model;
#: replacing it for that would blur what each configuration does.
GRACE_PERIOD_S = 600
STALL = (
    "was unable to stop or start tasks during a deployment because of the service "
    "deployment configuration"
)


@dataclass
class HealthySample:
    at: float  # time.monotonic()
    healthy: int


@dataclass
class TargetHealthWatcher:
    """Samples how many targets the balancer calls healthy (the kit watches task counts
    only; what clients can reach is the target group's view)."""

    service: EcsService
    interval_s: float = 0.1
    samples: list[HealthySample] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="target-health", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                health = self.service.elbv2.describe_target_health(
                    TargetGroupArn=self.service.target_group_arn
                )
            except Exception:  # a slow answer on a busy machine: sample again
                health = None
            if health is not None:
                healthy = sum(
                    t["TargetHealth"]["State"] == "healthy"
                    for t in health["TargetHealthDescriptions"]
                )
                self.samples.append(HealthySample(time.monotonic(), healthy))
            self._stop.wait(self.interval_s)

    def zero_windows(self) -> list[tuple[float, float]]:
        """Spans with no healthy target: from the last sample that had one to the first
        sample that has one again (generous by one sampling interval each side)."""
        windows, opened = [], None
        previous = self.samples[0].at if self.samples else 0.0
        for sample in self.samples:
            if sample.healthy == 0 and opened is None:
                opened = previous
            elif sample.healthy > 0 and opened is not None:
                windows.append((opened, sample.at))
                opened = None
            if sample.healthy > 0:
                previous = sample.at
        if opened is not None:
            windows.append((opened, math.inf))
        return windows

    def __enter__(self) -> TargetHealthWatcher:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


@dataclass
class Rollout:
    load: ClientLoad
    bounds: BoundsWatcher
    health: TargetHealthWatcher
    old_tasks: set[str]
    seconds: float

    @property
    def min_healthy(self) -> int:
        return min(s.healthy for s in self.health.samples)

    def report(self, label: str) -> None:
        healthy = [s.healthy for s in self.health.samples]
        print(
            f"\n{label}: rollout {self.seconds:.1f} s, requests {len(self.load.responses)}, "
            f"failed {len(self.load.failures)} "
            f"({sorted({r.status for r in self.load.failures}, key=str)}), healthy "
            f"min {min(healthy)} max {max(healthy)}, running "
            f"{sorted({s.running for s in self.bounds.samples})}, "
            f"zero windows {[(round(b - a, 2)) for a, b in self.health.zero_windows()]}"
        )


#: Waits, given the service and the new deployment's id, until the rollout is over.
Until = Callable[[EcsService, str], None]
Roll = Callable[[int, int, Until, int], tuple[EcsService, Rollout]]


@pytest.fixture
def roll(
    drydock_emulator: Emulator,
    drydock_isolation: Isolation,
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
) -> Iterator[Roll]:
    """``roll(minimum, maximum, until, desired)``: a COMPLETED service, then
    ``forceNewDeployment`` under load until ``until(service)`` returns; the service is
    removed after the test."""
    opened: list[EcsService] = []

    def run(minimum: int, maximum: int, until: Until, desired: int) -> tuple[EcsService, Rollout]:
        service, _ = serving_service(
            drydock_emulator, drydock_isolation, drydock_cloud, drydock_serving_image.by_digest
        )
        service.with_desired_count(desired).with_grace_period(GRACE_PERIOD_S).with_deployment(
            minimum_healthy_percent=minimum, maximum_percent=maximum
        )
        opened.append(service.start())
        service.wait_stable()
        service.wait_rollout_state("COMPLETED")
        old = service.task_ids()
        with (
            ClientLoad(service.lb_url, max_seconds=150) as load,
            BoundsWatcher(service) as bounds,
            TargetHealthWatcher(service) as health,
        ):
            time.sleep(0.5)
            began = time.monotonic()
            until(service, service.force_new_deployment())
            seconds = time.monotonic() - began
            time.sleep(2.5)  # and clients after it
        return service, Rollout(load, bounds, health, old, seconds)

    yield run
    for service in opened:
        service.stop()


def _completes(service: EcsService, deployment: str) -> None:
    service.wait_rollout_state("COMPLETED", deployment, timeout_s=120)


def _stalls(service: EcsService, deployment: str) -> None:
    deadline = time.monotonic() + 60
    while not any(STALL in e for e in service.events()):
        assert time.monotonic() < deadline, service.diagnosis()
        time.sleep(0.2)
    time.sleep(3.0)  # and it stays stalled: nothing is stopped or started afterwards


@pytest.mark.parametrize(
    ("minimum", "maximum", "desired"),
    [(100, 200, DESIRED), (50, 100, DESIRED), (50, 100, 4)],
    ids=["100-200", "50-100", "50-100-x4"],
)
def test_capacity_floor_holds_and_clients_see_no_error(
    roll: Roll, minimum: int, maximum: int, desired: int
) -> None:
    service, rollout = roll(minimum, maximum, _completes, desired)
    rollout.report(f"{minimum}/{maximum} x{desired}")
    floor = math.ceil(desired * minimum / 100)
    assert rollout.min_healthy >= floor, [s.healthy for s in rollout.health.samples]
    rollout.bounds.assert_held()
    assert rollout.load.failures == [], rollout.load.failures[:5]
    assert len(rollout.load.successes) > 50
    assert service.task_ids().isdisjoint(rollout.old_tasks)
    assert max(s.running + s.pending for s in rollout.bounds.samples) == math.floor(
        desired * maximum / 100
    ), "the rollout used the room maximumPercent gives"


def test_zero_minimum_stops_every_old_task_first_and_errors_only_while_none_is_healthy(
    roll: Roll,
) -> None:
    service, rollout = roll(0, 100, _completes, DESIRED)
    rollout.report("0/100")
    windows = rollout.health.zero_windows()
    assert rollout.min_healthy == 0 and windows, "0% lets ECS stop every old task first"
    tasks = [*service.tasks("RUNNING"), *service.tasks("STOPPED")]
    old = [t for t in tasks if t["taskArn"].rsplit("/", 1)[-1] in rollout.old_tasks]
    new = [t for t in tasks if t["taskArn"].rsplit("/", 1)[-1] not in rollout.old_tasks]
    assert len(old) == DESIRED and len(new) == DESIRED
    # minimumHealthyPercent 0: every old task is told to stop (drain) before any new one
    # is created; maximumPercent 100: the i-th new task waits for the i-th old task to
    # be STOPPED and free its slot.
    assert max(t["stoppingAt"] for t in old) <= min(t["createdAt"] for t in new)
    for freed, created in zip(
        sorted(t["stoppedAt"] for t in old), sorted(t["createdAt"] for t in new), strict=True
    ):
        assert freed <= created, (freed, created)
    rollout.bounds.assert_held()
    for failure in rollout.load.failures:
        assert failure.status == 503, failure
        assert any(start <= failure.at <= end + 1.0 for start, end in windows), (failure, windows)
    assert rollout.load.after(windows[-1][1] + 1.0), "traffic went on after the window"
    assert all(r.ok for r in rollout.load.after(windows[-1][1] + 1.0))


def test_full_minimum_and_no_surge_cannot_deploy_and_the_old_tasks_keep_serving(
    roll: Roll,
) -> None:
    service, rollout = roll(100, 100, _stalls, DESIRED)
    rollout.report("100/100")
    assert rollout.load.failures == [], rollout.load.failures[:5]
    assert service.task_ids() == rollout.old_tasks
    assert rollout.min_healthy == DESIRED
    primary = service.primary()
    assert (primary["rolloutState"], primary["runningCount"], primary["pendingCount"]) == (
        "IN_PROGRESS",
        0,
        0,
    )
    assert sum(STALL in e for e in service.events()) == 1, "reported once, not every step"
