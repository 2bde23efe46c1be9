"""The docker runtime's threads against a fake Docker client: what it reports, and once.

Checks the contract the driver relies on: StartTask -> TaskRunning, health check runs ->
ContainerHealthCheckResult, StopTask -> exactly one TaskStopped, a crash -> TaskStopped
naming the container's last log line, and logs kept after the container is removed.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

import pytest
from docker.errors import ImageNotFound, NotFound

from harness.docker_engine.registry_login import RegistryLogin
from harness.ecs.domain import Task, TaskDefinitionSpec
from harness.ecs.runtime.docker_runtime import DockerTaskRuntime
from harness.ecs.scheduler.actions import HealthCheckSchedule, StartTask, StopTask
from harness.ecs.scheduler.observations import (
    ContainerHealthCheckResult,
    TaskRunning,
    TaskStopped,
)

ARN = "arn:aws:ecs:us-east-1:000000000000:task/c/0123456789abcdef0123456789abcdef"


class FakeContainer:
    def __init__(self, name: str, healthy_runs: list[int]) -> None:
        self.id = f"id-{name}"
        self.name = name
        self.ports = {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "40000"}]}
        self.attrs = {"NetworkSettings": {"Networks": {"net": {"IPAddress": "172.18.0.9"}}}}
        self.exited = threading.Event()
        self.exit_code = 0
        self.removed = False
        self.health_runs = list(healthy_runs)
        self.execs: list[list[str]] = []

    def reload(self) -> None:
        pass

    def wait(self, timeout: float | None = None) -> dict[str, int]:
        if not self.exited.wait(timeout):
            raise TimeoutError("still running")
        return {"StatusCode": self.exit_code}

    def stop(self, timeout: int) -> None:
        self.exit_code = 0
        self.exited.set()

    def logs(self, **_: Any) -> bytes:
        return b"booting\nserving on 8080\n" if self.exit_code == 0 else b"boom: no model\n"

    def exec_run(self, argv: list[str]) -> tuple[int, bytes]:
        self.execs.append(argv)
        return (self.health_runs.pop(0) if self.health_runs else 0), b""

    def remove(self, force: bool = False) -> None:
        self.removed = True


class FakeDocker:
    def __init__(self, health_runs: list[int] | None = None) -> None:
        self.made: dict[str, FakeContainer] = {}
        self.health_runs = health_runs or []
        self.images = self
        self.containers = self
        self.run_kwargs: dict[str, Any] = {}
        self.closed = 0

    def close(self) -> None:
        self.closed += 1

    # images
    def get(self, ref: str) -> Any:
        if ref.startswith("id-"):
            found = next((c for c in self.made.values() if c.id == ref), None)
            if found is None or found.removed:
                raise NotFound("gone")
            return found
        if ref != "app:1":
            raise ImageNotFound("no such image")
        return object()

    # containers
    def run(self, image: str, **kwargs: Any) -> FakeContainer:
        self.run_kwargs = kwargs
        container = FakeContainer(kwargs["name"], self.health_runs)
        self.made[kwargs["name"]] = container
        return container

    def list(self, **_: Any) -> list[FakeContainer]:
        return []


def _start(
    runtime: DockerTaskRuntime, checks: tuple[HealthCheckSchedule, ...] = (), image: str = "app:1"
) -> None:
    spec = TaskDefinitionSpec.from_document(
        "arn:td/app:1",
        {
            "containerDefinitions": [
                {"name": "app", "image": image, "portMappings": [{"containerPort": 8080}]}
            ]
        },
    )
    task = Task(
        task_arn=ARN,
        task_definition_arn=spec.arn,
        cluster_arn="arn:cluster/c",
        deployment_id="ecs-svc/1",
        group="service:web",
        created_at=0.0,
    )
    runtime.start_task(StartTask(task, spec, checks))


def _name(fake: FakeDocker) -> str:
    return next(iter(fake.made))


def _next(observations: queue.Queue[Any]) -> Any:
    return observations.get(timeout=5)


def test_start_health_and_stop_are_reported_once() -> None:
    fake, observations = FakeDocker(health_runs=[0, 1]), queue.Queue()
    runtime = DockerTaskRuntime(lambda: fake, observations, network="net", project="p")
    check = HealthCheckSchedule("app", ("CMD-SHELL", "true"), interval=0.01, timeout=0.5)
    _start(runtime, (check,))
    assert _next(observations) == TaskRunning(ARN, (("app", "id-" + _name(fake)),))
    assert fake.run_kwargs["ports"] == {"8080/tcp": ("127.0.0.1", None)}
    assert fake.run_kwargs["labels"]["drydock.task-arn"] == ARN
    assert runtime.address(ARN, "app") == "172.18.0.9"
    results = [_next(observations), _next(observations)]
    assert results == [
        ContainerHealthCheckResult(ARN, "app", True),
        ContainerHealthCheckResult(ARN, "app", False),
    ]
    runtime.stop_task(StopTask(ARN, "scale in", stop_timeout=1.0))
    stopped = [o for o in _drain(observations) if isinstance(o, TaskStopped)]
    assert stopped == [TaskStopped(ARN, exit_code=0, reason="Task stopped", container_name="app")]
    assert "serving on 8080" in runtime.logs(ARN)["app"]
    runtime.close()


def test_a_crash_is_reported_with_the_last_log_line() -> None:
    fake, observations = FakeDocker(), queue.Queue()
    runtime = DockerTaskRuntime(lambda: fake, observations, network="net", project="p")
    _start(runtime)
    assert _next(observations) == TaskRunning(ARN, (("app", "id-" + _name(fake)),))
    container = next(iter(fake.made.values()))
    container.exit_code = 3
    container.exited.set()
    stopped = _next(observations)
    assert isinstance(stopped, TaskStopped) and stopped.exit_code == 3
    assert stopped.reason == "Essential container in task exited: boom: no model"
    runtime.close()


def _drain(observations: queue.Queue[Any]) -> list[Any]:
    found = [_next(observations)]
    while True:
        try:
            found.append(observations.get(timeout=0.3))
        except queue.Empty:
            return found


class PullingDocker(FakeDocker):
    """An engine without the task's image: it must be pulled, and the pull is recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.pulls: list[tuple[str, dict[str, str] | None]] = []

    def pull(self, image: str, auth_config: dict[str, str] | None = None) -> None:
        self.pulls.append((image, auth_config))


@pytest.mark.parametrize(
    ("image", "expected_auth"),
    [
        ("127.0.0.1:5050/team/app@sha256:" + "a" * 64, {"username": "AWS", "password": "pw"}),
        ("127.0.0.1:6000/team/app:1", None),  # another registry gets no ECR password
    ],
)
def test_images_missing_from_the_engine_are_pulled_with_ecrs_credentials(
    image: str, expected_auth: dict[str, str] | None
) -> None:
    fake = PullingDocker()
    runtime = DockerTaskRuntime(
        lambda: fake,
        queue.Queue(),
        network="net",
        project="p",
        registry_login=RegistryLogin("127.0.0.1:5050", "AWS", "pw"),
    )
    _start(runtime, image=image)
    deadline = time.monotonic() + 5
    while not fake.pulls and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fake.pulls == [(image, expected_auth)]
    runtime.close()
