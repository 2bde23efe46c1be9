"""A fake clock and a simulated world (runtime + load balancer) for scheduler tests.

The world performs the scheduler's actions the way Docker and an ALB would, with
configurable latencies and failures, and delivers each resulting observation in its own
``step`` at its simulated time -- the event-driven loop a real driver runs.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from harness.ecs import events as ev
from harness.ecs.domain import (
    ContainerHealthCheck,
    ContainerSpec,
    DeploymentConfiguration,
    Service,
    ServiceLoadBalancer,
    TaskDefinitionSpec,
    TaskStatus,
)
from harness.ecs.scheduler import (
    Action,
    AdoptTask,
    ContainerHealthCheckResult,
    DeregisterTarget,
    Observation,
    RandomIds,
    RegisterTarget,
    SchedulerSettings,
    ServiceScheduler,
    StartTask,
    StopTask,
    TargetDrained,
    TargetHealthChanged,
    TaskRunning,
    TaskStopped,
)

CLUSTER_ARN = "arn:aws:ecs:us-east-1:000000000000:cluster/drydock"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/model/0123456789abcdef"
T0 = 1_800_000_000.0


def td(
    revision: int, *, health_check: ContainerHealthCheck | None = None, stop_timeout: float = 30.0
) -> TaskDefinitionSpec:
    return TaskDefinitionSpec(
        arn=f"arn:aws:ecs:us-east-1:000000000000:task-definition/model:{revision}",
        containers=(ContainerSpec("model", f"model:{revision}", True, health_check, stop_timeout),),
    )


class FakeClock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def now(self) -> float:
        return self.t


@dataclass
class Behaviour:
    """How tasks of one task definition behave in the simulated world (seconds)."""

    start_latency: float = 5.0
    fail_to_start: bool = False
    crash_after: float | None = None  # seconds after RUNNING
    check_passes: Callable[[float], bool] = lambda _since_running: True
    lb_healthy: bool = True
    stop_latency: float = 1.0


@dataclass(order=True)
class _Pending:
    at: float
    seq: int
    make: Callable[[], Observation | None] = field(compare=False)


class World:
    """Runtime + balancer + clock around one ServiceScheduler."""

    def __init__(
        self,
        *,
        desired: int = 4,
        config: DeploymentConfiguration | None = None,
        task_definition: TaskDefinitionSpec | None = None,
        behaviours: dict[str, Behaviour] | None = None,
        load_balanced: bool = False,
        grace: float = 0.0,
        lb_interval: float = 30.0,
        unhealthy_threshold: int = 2,
        deregistration_delay: float = 300.0,
        settings: SchedulerSettings | None = None,
        seed: int = 0,
        per_task: Callable[[str], Behaviour] | None = None,
    ) -> None:
        self.clock = FakeClock()
        self.behaviours = behaviours or {}
        self.lb_interval = lb_interval
        self.unhealthy_threshold = unhealthy_threshold
        self.deregistration_delay = deregistration_delay
        self.queue: list[_Pending] = []
        self.seq = itertools.count()
        self.alive: set[str] = set()
        self.events: list[ev.ServiceEventBase] = []
        self.actions: list[tuple[float, Action]] = []
        self.hooks: list[Callable[[list[Action]], None]] = []
        self.pre_hooks: list[Callable[[], None]] = []
        #: Behaviour per task, chosen at start: from ``per_task(td_arn)`` when given.
        self.per_task = per_task
        self.task_behaviour: dict[str, Behaviour] = {}
        service = Service(
            service_name="model-svc",
            service_arn="arn:aws:ecs:us-east-1:000000000000:service/drydock/model-svc",
            cluster_arn=CLUSTER_ARN,
            task_definition="",
            desired_count=desired,
            deployment_configuration=config or DeploymentConfiguration(),
            load_balancers=(ServiceLoadBalancer(TG_ARN, "model", 8080),) if load_balanced else (),
            health_check_grace_period_seconds=grace,
        )
        self.scheduler = ServiceScheduler(
            service,
            task_definition or td(1),
            clock=self.clock,
            settings=settings,
            ids=RandomIds(seed),
        )
        self.scheduler.bus.subscribe(self.events.append)

    # -- driving

    @property
    def now(self) -> float:
        return self.clock.t

    def step(self, observations: list[Observation] | None = None) -> list[Action]:
        for hook in self.pre_hooks:
            hook()
        actions = self.scheduler.step(observations or [])
        for action in actions:
            self.actions.append((self.now, action))
            self._perform(action)
        for hook in self.hooks:
            hook(actions)
        return actions

    def run(
        self, until: Callable[[World], bool] | None = None, *, max_time: float = 7200.0
    ) -> float:
        """Advance simulated time event by event; returns the elapsed simulated seconds."""
        start = self.now
        self.step()
        while not (until and until(self)):
            wake = self.scheduler.next_wakeup()
            nxt = self.queue[0].at if self.queue else None
            candidates = [t for t in (wake, nxt) if t is not None]
            if not candidates:
                break
            t = min(candidates)
            if t - start > max_time:
                break
            self.clock.t = max(self.clock.t, t)
            if nxt is not None and nxt <= t:
                obs = heapq.heappop(self.queue).make()
                self.step([obs] if obs is not None else [])
            else:
                self.step()
        return self.now - start

    def run_until_stable(self, max_time: float = 7200.0) -> float:
        return self.run(stable, max_time=max_time)

    def update(self, **kwargs: object) -> None:
        self.scheduler.update(**kwargs)  # type: ignore[arg-type]

    # -- reading

    @property
    def service(self) -> Service:
        return self.scheduler.service

    def live(self, revision: int | None = None) -> list:
        return [
            t
            for t in self.scheduler.tasks
            if t.last_status is not TaskStatus.STOPPED
            and (revision is None or t.task_definition_arn.endswith(f":{revision}"))
        ]

    def messages(self) -> list[str]:
        """Service event messages, oldest first."""
        return [e.message for e in self.events]

    # -- the fake runtime and balancer

    def _later(self, delay: float, make: Callable[[], Observation | None]) -> None:
        heapq.heappush(self.queue, _Pending(self.now + delay, next(self.seq), make))

    def _behaviour(self, task_arn: str) -> Behaviour:
        return self.task_behaviour[task_arn]

    def _perform(self, action: Action) -> None:
        match action:
            case StartTask(task=task):
                self._start(task.task_arn, action)
            case AdoptTask(task=task):  # already running: only its future matters
                td_arn = action.task_definition.arn
                b = self.per_task(td_arn) if self.per_task else self.behaviours.get(td_arn)
                self.task_behaviour[task.task_arn] = b or Behaviour()
                self.alive.add(task.task_arn)
            case StopTask(task_arn=arn):
                b = self._behaviour(arn)

                def stopped(arn: str = arn) -> Observation | None:
                    if arn not in self.alive:
                        return None
                    self.alive.discard(arn)
                    return TaskStopped(arn, exit_code=143, reason="")

                self._later(b.stop_latency, stopped)
            case RegisterTarget(task_arn=arn, target_group_arn=tg):
                b = self._behaviour(arn)
                delay = (
                    self.lb_interval
                    if b.lb_healthy
                    else self.lb_interval * self.unhealthy_threshold
                )
                self._later(
                    delay,
                    lambda arn=arn, tg=tg, ok=b.lb_healthy: (
                        TargetHealthChanged(arn, tg, ok) if arn in self.alive else None
                    ),
                )
            case DeregisterTarget(task_arn=arn, target_group_arn=tg):
                self._later(
                    self.deregistration_delay, lambda arn=arn, tg=tg: TargetDrained(arn, tg)
                )

    def _start(self, arn: str, action: StartTask) -> None:
        td_arn = action.task_definition.arn
        b = self.per_task(td_arn) if self.per_task else self.behaviours.get(td_arn, Behaviour())
        self.task_behaviour[arn] = b
        self.alive.add(arn)
        if b.fail_to_start:

            def failed() -> Observation | None:
                if arn not in self.alive:
                    return None
                self.alive.discard(arn)
                return TaskStopped(arn, reason="CannotPullContainerError: pull access denied")

            self._later(b.start_latency, failed)
            return

        def running() -> Observation | None:
            if arn not in self.alive:
                return None
            started = self.now
            for check in action.health_checks:
                self._schedule_check(arn, check.container_name, check.interval, started, b)
            if b.crash_after is not None:

                def crashed() -> Observation | None:
                    if arn not in self.alive:
                        return None
                    self.alive.discard(arn)
                    return TaskStopped(
                        arn,
                        exit_code=1,
                        reason="Essential container exited",
                        container_name="model",
                    )

                self._later(b.crash_after, crashed)
            return TaskRunning(arn)

        self._later(b.start_latency, running)

    def _schedule_check(
        self, arn: str, container: str, interval: float, started: float, b: Behaviour
    ) -> None:
        def result() -> Observation | None:
            if arn not in self.alive:
                return None
            self._schedule_check(arn, container, interval, started, b)
            return ContainerHealthCheckResult(arn, container, b.check_passes(self.now - started))

        self._later(interval, result)

    def kill(self, task_arn: str, exit_code: int = 137) -> list[Action]:
        """The environment kills a task (OOM, host loss): the scheduler must replace it."""
        self.alive.discard(task_arn)
        return self.step(
            [
                TaskStopped(
                    task_arn, exit_code=exit_code, reason="OutOfMemoryError", container_name="model"
                )
            ]
        )


def stable(world: World) -> bool:
    """AWS's ``services_stable`` waiter condition, plus every task healthy and nothing in
    flight (the waiter alone passes while a replacement is RUNNING but not yet healthy)."""
    svc = world.service
    return (
        len(svc.deployments) == 1
        and svc.running_count == svc.desired_count
        and svc.primary.rollout_state.value == "COMPLETED"
        and len(world.live()) == svc.desired_count
        and all(world.scheduler.is_healthy(t.task_arn) for t in world.live())
    )


# Factories are session-scoped so hypothesis tests can use them too.


@pytest.fixture(scope="session")
def make_world() -> Callable[..., World]:
    return World


@pytest.fixture(scope="session")
def make_td() -> Callable[..., TaskDefinitionSpec]:
    return td


@pytest.fixture(scope="session")
def behaviour() -> type[Behaviour]:
    return Behaviour


@pytest.fixture(scope="session")
def is_stable() -> Callable[[World], bool]:
    return stable
