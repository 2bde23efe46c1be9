"""The scheduler's ``TaskRuntime`` on a real Docker Engine.

Every Docker call that may block (pull, start, stop, health check exec, waiting for an
exit) runs in a background thread, so the driver loop never waits on Docker; results
come back as observations on a thread-safe queue that the driver consumes. One thread
per task waits for its container to exit and is the only one that reports
``TaskStopped``, so a stop and a crash can never both be reported.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import docker
from docker.errors import DockerException, ImageNotFound, NotFound

from harness.ecs.runtime.containers import (
    StartedContainer,
    containers_labelled,
    last_log_line,
    pull_image,
    remove_container,
    start_container,
)
from harness.ecs.runtime.task_containers import (
    EMULATOR_LABEL,
    TASK_ROLE,
    container_spec,
    health_check_argv,
    is_orphan,
)
from harness.ecs.scheduler.actions import HealthCheckSchedule, StartTask, StopTask
from harness.ecs.scheduler.observations import (
    ContainerHealthCheckResult,
    Observation,
    TaskRunning,
    TaskStopped,
)
from harness.errors import DrydockError

log = logging.getLogger(__name__)


@dataclass
class _RunningTask:
    task_arn: str
    containers: dict[str, StartedContainer] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    logs: dict[str, str] = field(default_factory=dict)


class DockerTaskRuntime:
    """Starts each task's containers, checks their health, reports exits and stops.

    ``client_factory`` gives each background thread its own Docker client (a blocking
    ``wait`` holds a connection for the task's lifetime).
    """

    def __init__(
        self,
        client_factory: Callable[[], docker.DockerClient],
        observations: queue.Queue[Observation],
        *,
        network: str,
        project: str,
    ) -> None:
        self._client_factory = client_factory
        self._client = client_factory()
        self._observations = observations
        self._network = network
        self._project = project
        self._tasks: dict[str, _RunningTask] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()

    # -- TaskRuntime ------------------------------------------------------------------

    def start_task(self, action: StartTask) -> None:
        task = _RunningTask(action.task.task_arn)
        with self._lock:
            self._tasks[task.task_arn] = task
        threading.Thread(
            target=self._run,
            args=(action, task),
            daemon=True,
            name=f"task-start-{task.task_arn[-8:]}",
        ).start()

    def stop_task(self, action: StopTask) -> None:
        with self._lock:
            task = self._tasks.get(action.task_arn)
        if task is None:
            self._observations.put(TaskStopped(action.task_arn, reason=action.reason))
            return
        task.stopping.set()
        threading.Thread(
            target=self._stop,
            args=(task, action.stop_timeout),
            daemon=True,
            name=f"task-stop-{task.task_arn[-8:]}",
        ).start()

    # -- what the driver and the balancer adapter ask ---------------------------------

    def address(self, task_arn: str, container_name: str) -> str:
        """The container's IP on the docker network (where the balancer reaches it)."""
        with self._lock:
            return self._tasks[task_arn].containers[container_name].network_ip

    def logs(self, task_arn: str) -> dict[str, str]:
        """Each container's output; kept after the container is removed."""
        with self._lock:
            task = self._tasks.get(task_arn)
            if task is None:
                return {}
            containers = dict(task.containers)
            kept = dict(task.logs)
        for name, started in containers.items():
            if name not in kept:
                try:
                    kept[name] = (
                        self._client.containers.get(started.id).logs().decode(errors="replace")
                    )
                except NotFound:
                    kept[name] = ""
        return kept

    def remove_orphans(self) -> int:
        """Remove task containers a dead emulator left behind (its state is gone)."""
        found = [
            container
            for container in containers_labelled(
                self._client, **{EMULATOR_LABEL: TASK_ROLE, "project": self._project}
            )
            if is_orphan(container.labels)
        ]
        for container in found:
            remove_container(self._client, container.id, timeout_s=1)
        return len(found)

    def close(self) -> None:
        """Remove every container this runtime started (SIGKILL after 1 s)."""
        self._closed.set()
        with self._lock:
            ids = [c.id for t in self._tasks.values() for c in t.containers.values()]
        for container_id in ids:
            remove_container(self._client, container_id, timeout_s=1)
        self.remove_orphans()

    # -- background work --------------------------------------------------------------

    def _run(self, action: StartTask, task: _RunningTask) -> None:
        client = self._client_factory()
        doc = action.task_definition.document
        try:
            for definition in doc.get("containerDefinitions", []):
                spec = container_spec(
                    definition,
                    task_arn=task.task_arn,
                    cluster_arn=action.task.cluster_arn,
                    group=action.task.group,
                    network=self._network,
                    project=self._project,
                    stop_timeout_s=action.task_definition.stop_timeout,
                )
                _ensure_image(client, spec.image)
                started = start_container(client, spec)
                with self._lock:
                    task.containers[definition["name"]] = started
        except (DockerException, DrydockError, KeyError, ValueError) as exc:
            log.warning("task %s failed to start: %s", task.task_arn, exc)
            self._finish(
                client,
                task,
                exit_code=None,
                reason=f"CannotStartContainerError: {exc}",
                container_name=None,
            )
            return
        if self._closed.is_set():
            return
        self._observations.put(TaskRunning(task.task_arn))
        if task.stopping.is_set():  # StopTask arrived while the containers were starting
            self._stop(task, action.task_definition.stop_timeout)
        for schedule in action.health_checks:
            threading.Thread(
                target=self._check_health,
                args=(task, schedule),
                daemon=True,
                name=f"task-health-{task.task_arn[-8:]}",
            ).start()
        essential = [
            c["name"] for c in doc.get("containerDefinitions", []) if c.get("essential", True)
        ]
        self._wait_for_exit(client, task, essential[0] if essential else None)

    def _wait_for_exit(
        self, client: docker.DockerClient, task: _RunningTask, container_name: str | None
    ) -> None:
        if container_name is None:
            return
        started = task.containers[container_name]
        exit_code: int | None = None
        while not self._closed.is_set():
            try:
                result = client.containers.get(started.id).wait(timeout=60)
                exit_code = int(result.get("StatusCode", -1))
                break
            except NotFound:
                break
            except Exception as exc:  # a timed-out wait on a busy engine: ask again
                log.debug("waiting for %s: %s", started.name, exc)
        if self._closed.is_set():
            return
        if task.stopping.is_set():
            reason = "Task stopped"
        else:
            try:
                last_words = last_log_line(client, started.id)
            except DockerException:
                last_words = "(no logs)"
            reason = f"Essential container in task exited: {last_words}"
        self._finish(
            client, task, exit_code=exit_code, reason=reason, container_name=container_name
        )

    def _finish(
        self,
        client: docker.DockerClient,
        task: _RunningTask,
        *,
        exit_code: int | None,
        reason: str,
        container_name: str | None,
    ) -> None:
        with self._lock:
            containers = dict(task.containers)
        for name, started in containers.items():
            try:
                task.logs[name] = client.containers.get(started.id).logs().decode(errors="replace")
            except DockerException:
                task.logs.setdefault(name, "")
        self._observations.put(
            TaskStopped(
                task.task_arn, exit_code=exit_code, reason=reason, container_name=container_name
            )
        )
        for started in containers.values():
            try:
                remove_container(client, started.id, timeout_s=1)
            except DockerException as exc:  # e.g. removal already in progress
                log.debug("removing %s: %s", started.name, exc)

    def _stop(self, task: _RunningTask, stop_timeout: float) -> None:
        """SIGTERM, SIGKILL after ``stop_timeout``; the exit waiter then reports it."""
        client = self._client_factory()
        with self._lock:
            containers = list(task.containers.values())
        for started in containers:
            try:
                client.containers.get(started.id).stop(timeout=max(1, round(stop_timeout)))
            except DockerException as exc:  # gone already, or the engine refused: log it
                log.info("stopping %s: %s", started.name, exc)

    def _check_health(self, task: _RunningTask, schedule: HealthCheckSchedule) -> None:
        client = self._client_factory()
        started = task.containers.get(schedule.container_name)
        if started is None:
            return
        argv = health_check_argv(schedule.command, schedule.timeout)
        while not (task.stopping.wait(schedule.interval) or self._closed.is_set()):
            try:
                code, _ = client.containers.get(started.id).exec_run(argv)
            except (NotFound, DockerException):
                return  # the container is gone; the exit waiter reports it
            self._observations.put(
                ContainerHealthCheckResult(task.task_arn, schedule.container_name, passed=code == 0)
            )


def _ensure_image(client: docker.DockerClient, image: str) -> None:
    """Pull from the registry unless the engine already has the image (same digest)."""
    try:
        client.images.get(image)
    except ImageNotFound:
        pull_image(client, image)
