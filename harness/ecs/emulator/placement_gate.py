"""Placement between the scheduler and Docker: a task starts only where it fits.

The service scheduler decides how many tasks a service should have; ECS's placement
then puts each on an instance with room, or leaves it waiting. This gate is that step
for the emulator's one instance (the engine): it wraps the docker runtime, starts a
``StartTask`` whose reservation fits what remains (``scheduler.placement``), and holds
the others. A held task is PENDING with no container, the service gets ECS's "unable to
place a task" event (once per stretch of waiting), and it starts as soon as a stopped
task frees room. A held task the scheduler stops (scale-in, DeleteService) is dropped
and reported stopped, so nothing waits for a container that never existed.

Reservations live in the control plane's ``ContainerInstances`` (under its lock), so
DescribeClusters and DescribeContainerInstances show them.
"""

from __future__ import annotations

import logging
import queue
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from harness.ecs import events as ev
from harness.ecs.control_plane import ControlPlane
from harness.ecs.domain import ServiceEvent, Task, TaskStatus
from harness.ecs.scheduler.actions import AdoptTask, StartTask, StopTask
from harness.ecs.scheduler.observations import TaskStopped
from harness.ecs.scheduler.placement import Resources, engine_capacity, place, task_requirements
from harness.ecs.scheduler.ports import TaskRuntime
from harness.settings import DrydockSettings

log = logging.getLogger(__name__)

#: ``DescribeServices`` keeps this many events (as the scheduler does).
MAX_EVENTS = 100


class PlacementGate:
    """A :class:`TaskRuntime` that places before it starts; call :meth:`place_waiting`
    after each driver step (freed room is only seen then)."""

    def __init__(
        self,
        runtime: TaskRuntime,
        control_plane: ControlPlane,
        observations: queue.Queue[object],
        bus: ev.EventBus,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.runtime = runtime
        self.control_plane = control_plane
        self.observations = observations
        self.bus = bus
        self.clock = clock
        self._waiting: dict[str, tuple[StartTask, Resources]] = {}
        self._tasks: dict[str, Task] = {}
        self._reported: set[str] = set()

    # --- TaskRuntime ----------------------------------------------------------------

    def start_task(self, action: StartTask) -> None:
        """Start at once if it fits, else wait. Only this task is tried here (a scale-out
        to thousands would otherwise retry every waiting task once per new one);
        :meth:`place_waiting` retries them all after each step."""
        need = self._requirements(action)
        instances = self.control_plane.container_instances
        arn = action.task.task_arn
        with self.control_plane.lock:
            fits = instances.registered is None or instances.remaining.shortfall(need) is None
            if fits:
                self._reserve(action.task, need)
            else:
                self._waiting[arn] = (action, need)
                instances.waiting[arn] = _cluster(action.task)
                self._report(place([(arn, need)], instances.remaining)[1], reset=False)
        if fits:
            self.runtime.start_task(action)

    def adopt_task(self, action: AdoptTask) -> None:
        with self.control_plane.lock:
            self._reserve(action.task, self._requirements(action))
        self.runtime.adopt_task(action)

    def stop_task(self, action: StopTask) -> None:
        arn = action.task_arn
        with self.control_plane.lock:
            held = self._waiting.pop(arn, None)
            self.control_plane.container_instances.waiting.pop(arn, None)
        if held is None:
            self.runtime.stop_task(action)
            return
        self.observations.put(TaskStopped(arn, reason="Task stopped before it was placed"))

    # --- placement ----------------------------------------------------------------

    def place_waiting(self) -> None:
        """Release what stopped tasks held, then start every waiting task that fits."""
        instances = self.control_plane.container_instances
        with self.control_plane.lock:
            for arn in [a for a, t in self._tasks.items() if t.last_status is TaskStatus.STOPPED]:
                del self._tasks[arn]
                instances.placed.pop(arn, None)
            if instances.registered is None:
                return
            waiting = [(arn, need) for arn, (_, need) in self._waiting.items()]
            fitting, refused = place(waiting, instances.remaining)
            starts = []
            for arn in fitting:
                action, need = self._waiting.pop(arn)
                instances.waiting.pop(arn, None)
                self._reserve(action.task, need)
                starts.append(action)
            self._report(refused, reset=True)
        for action in starts:
            self.runtime.start_task(action)

    def _reserve(self, task: Task, need: Resources) -> None:
        """Count ``need`` against the engine from now until ``task`` is STOPPED."""
        self._tasks[task.task_arn] = task
        self.control_plane.container_instances.placed[task.task_arn] = (_cluster(task), need)

    def _report(self, refused: dict[str, str], *, reset: bool) -> None:
        """ECS's event, once per service per stretch of waiting (hold the lock).

        ``reset``: ``refused`` is every waiting task, so a service absent from it has
        stopped waiting and is reported again when it next waits."""
        blocked: dict[tuple[str, str], str] = {}
        for arn, resource in refused.items():
            action, _ = self._waiting[arn]
            blocked.setdefault((_cluster(action.task), _service(action.task)), resource)
        if reset:
            self._reported &= {f"{c}/{s}" for c, s in blocked}
        for (cluster, service_name), resource in blocked.items():
            if f"{cluster}/{service_name}" in self._reported:
                continue
            self._reported.add(f"{cluster}/{service_name}")
            entry = self.control_plane.services.find(cluster, service_name)
            if entry is None:
                continue
            instance = self.control_plane.container_instances.instance_id(cluster)
            event = ev.UnableToPlaceTask(service_name, self.clock(), instance, resource)
            log.info("%s", event.message)
            service = entry.handle.service
            record = ServiceEvent(id=str(uuid.uuid4()), created_at=event.at, message=event.message)
            service.events.insert(0, record)
            del service.events[MAX_EVENTS:]
            self.bus.publish(event)

    def _requirements(self, action: StartTask | AdoptTask) -> Resources:
        with self.control_plane.lock:
            definition = self.control_plane.task_definitions.resolve(action.task_definition.arn)
            return task_requirements(definition.describe())


def register_engine(
    control_plane: ControlPlane, info: Mapping[str, Any], settings: DrydockSettings
) -> None:
    """Register the engine (``docker info``) as every cluster's container instance."""
    registered = engine_capacity(
        int(info.get("MemTotal") or 0),
        int(info.get("NCPU") or 1),
        margin_mib=settings.instance_memory_margin_mib,
        memory_mib=settings.instance_memory_mib,
        cpu_units=settings.instance_cpu_units,
    )
    with control_plane.lock:
        instances = control_plane.container_instances
        instances.registered = registered
        instances.engine_id = str(info.get("ID") or "local").replace(":", "")
        instances.registered_at = datetime.now(UTC)
    log.info(
        "container instance: %d CPU units, %d MiB for tasks", registered.cpu, registered.memory
    )


def _cluster(task: Task) -> str:
    return task.cluster_arn.rsplit("/", 1)[-1]


def _service(task: Task) -> str:
    return task.group.removeprefix("service:")
