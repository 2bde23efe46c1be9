"""The scheduler's ``TaskRuntime`` on a real Docker Engine.

Every Docker call that may block (pull, start, stop, health check exec, waiting for an
exit) runs in a background thread, so the driver loop never waits on Docker; results
come back as observations on a thread-safe queue that the driver consumes. One thread
per task waits for its container to exit and is the only one that reports
``TaskStopped``, so a stop and a crash can never both be reported.

After an emulator restart the runtime reports the task containers its previous
incarnation left (:meth:`DockerTaskRuntime.left_behind`), and watches the ones the
scheduler adopts (``AdoptTask``) exactly as the ones it started itself.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import docker
from docker.errors import DockerException, ImageNotFound, NotFound

from harness.docker_engine.containers import (
    StartedContainer,
    containers_labelled,
    last_log_line,
    pull_image,
    remove_container,
    start_container,
    started_container,
)
from harness.docker_engine.registry_login import RegistryLogin, auth_config_for
from harness.ecs.runtime.task_containers import (
    EMULATOR_LABEL,
    TASK_ROLE,
    container_spec,
    emulator_owner,
    found_container,
    health_check_argv,
    is_orphan,
)
from harness.ecs.runtime.thread_clients import ThreadClients
from harness.ecs.scheduler.actions import AdoptTask, HealthCheckSchedule, StartTask, StopTask
from harness.ecs.scheduler.adoption_plan import FoundContainer
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
    ``wait`` holds a connection for the task's lifetime). ``owner`` is the identity its
    containers carry (default :func:`emulator_owner`): a restart with the same identity
    finds them again.
    """

    def __init__(
        self,
        client_factory: Callable[[], docker.DockerClient],
        observations: queue.Queue[Observation | None],
        *,
        network: str,
        project: str,
        owner: str | None = None,
        registry_login: RegistryLogin | None = None,
    ) -> None:
        self.owner = owner or emulator_owner()
        #: ECR's credentials: tasks pull with them, as ECS does with the execution role.
        self._registry_login = registry_login
        self._left_behind: dict[str, Any] = {}
        self._client_factory = ThreadClients(client_factory)
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
            target=self._client_factory.closing(self._run),
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
            target=self._client_factory.closing(self._stop),
            args=(task, action.stop_timeout),
            daemon=True,
            name=f"task-stop-{task.task_arn[-8:]}",
        ).start()

    def adopt_task(self, action: AdoptTask) -> None:
        """Watch the running containers of a task found by :meth:`left_behind`.

        Addresses come from what was read then (no Docker call on the driver's thread),
        so the target registration that follows resolves at once.
        """
        task = _RunningTask(action.task.task_arn)
        ports = {
            d["name"]: int((d.get("portMappings") or [{"containerPort": 0}])[0]["containerPort"])
            for d in action.task_definition.document.get("containerDefinitions", [])
        }
        for name, container_id in action.container_ids.items():
            container = self._left_behind.pop(container_id)
            task.containers[name] = started_container(container, ports.get(name, 0), self._network)
        with self._lock:
            self._tasks[task.task_arn] = task
        threading.Thread(
            target=self._client_factory.closing(self._watch),
            args=(task, action.task_definition.document, action.health_checks),
            daemon=True,
            name=f"task-adopt-{task.task_arn[-8:]}",
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

    def left_behind(self) -> list[FoundContainer]:
        """Task containers an emulator that is gone left (a restart of this one, or a
        dead one): candidates for adoption, kept until :meth:`adopt_task` or removal."""
        found = self._orphans()
        self._left_behind = {c.id: c for c in found}
        return [found_container(c.id, c.status == "running", c.labels) for c in found]

    def left_behind_ip(self, container_id: str) -> str:
        """A left-behind container's IP on the docker network (as docker reported it)."""
        container = self._left_behind[container_id]
        return started_container(container, 0, self._network).network_ip

    def remove_containers(self, container_ids: Iterable[str]) -> None:
        """Remove containers that were left behind and not adopted (SIGKILL after 1 s)."""
        for container_id in container_ids:
            self._left_behind.pop(container_id, None)
            remove_container(self._client, container_id, timeout_s=1)

    def remove_orphans(self) -> int:
        """Remove task containers a dead emulator left behind (its state is gone)."""
        found = self._orphans()
        self.remove_containers(c.id for c in found)
        return len(found)

    def close(self, *, keep_tasks: bool = False) -> None:
        """Stop watching; remove every container this runtime started (SIGKILL after 1 s)
        unless ``keep_tasks``, which leaves them running for the next emulator to adopt."""
        self._closed.set()
        if not keep_tasks:
            with self._lock:
                ids = [c.id for t in self._tasks.values() for c in t.containers.values()]
            self.remove_containers(ids)
            self.remove_orphans()
        self._client.close()  # a later call opens a new connection; none is kept open

    def _orphans(self) -> list[Any]:
        return [
            container
            for container in containers_labelled(
                self._client, **{EMULATOR_LABEL: TASK_ROLE, "project": self._project}
            )
            if is_orphan(container.labels, self.owner)
        ]

    # -- background work --------------------------------------------------------------

    def _run(self, action: StartTask, task: _RunningTask) -> None:
        client = self._client_factory()
        doc = action.task_definition.document
        try:
            for definition in doc.get("containerDefinitions", []):
                spec = container_spec(
                    definition,
                    task_arn=task.task_arn,
                    task_definition_arn=action.task_definition.arn,
                    cluster_arn=action.task.cluster_arn,
                    group=action.task.group,
                    network=self._network,
                    project=self._project,
                    stop_timeout_s=action.task_definition.stop_timeout,
                    owner=self.owner,
                    deployment_id=action.task.deployment_id,
                )
                _ensure_image(client, spec.image, self._registry_login)
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
        with self._lock:
            runtime_ids = tuple((name, c.id) for name, c in task.containers.items())
        self._observations.put(TaskRunning(task.task_arn, runtime_ids))
        if task.stopping.is_set():  # StopTask arrived while the containers were starting
            self._stop(task, action.task_definition.stop_timeout)
        self._watch(task, doc, action.health_checks, client)

    def _watch(
        self,
        task: _RunningTask,
        document: dict[str, Any],
        health_checks: tuple[HealthCheckSchedule, ...],
        client: docker.DockerClient | None = None,
    ) -> None:
        """Run the health checks and wait for the essential container to exit."""
        for schedule in health_checks:
            threading.Thread(
                target=self._client_factory.closing(self._check_health),
                args=(task, schedule),
                daemon=True,
                name=f"task-health-{task.task_arn[-8:]}",
            ).start()
        essential = [
            c["name"] for c in document.get("containerDefinitions", []) if c.get("essential", True)
        ]
        client = client or self._client_factory()
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


def _ensure_image(
    client: docker.DockerClient, image: str, login: RegistryLogin | None = None
) -> None:
    """Pull from the registry unless the engine already has the image (same digest);
    with ECR's credentials when the image is in ECR's registry."""
    try:
        client.images.get(image)
    except ImageNotFound:
        pull_image(client, image, auth_config_for(login, image))
