"""An ECS service behind an ALB listener on the emulator, built fluently, always removed.

Like a testcontainers container: chain ``with_*`` calls to describe the service, enter it
(``with service:``) to create the load balancer, target group, listener, cluster, task
definition and service through boto3, and leave it to delete them, pass or fail. The
calls are the ones a user's deployment code makes against AWS, so a scenario exercises
the emulator's API exactly as production code would. Durations are AWS seconds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from botocore.exceptions import WaiterError

from harness.docker_engine import docker_client
from harness.docker_engine.containers import LABEL_PREFIX
from harness.ecs.control_plane.arns import ACCOUNT_ID, REGION
from harness.ecs.emulator.emulator import Emulator
from harness.pipeline.load_balanced_service import (
    ContainerTarget,
    TargetGroupSpec,
    create_service,
    deployment_configuration,
    ensure_listener,
    ensure_load_balancer,
    ensure_target_group,
)
from harness.testing.clients import aws_client
from harness.testing.isolation import Isolation
from harness.testing.traffic_shifting import BlueGreenRouting, TrafficShifting, create_routing


@dataclass
class ContainerSettings:
    """The task definition's one essential container."""

    name: str = "serving"
    image: str = ""
    port: int = 8080
    memory: int = 512
    environment: dict[str, str] = field(default_factory=dict)
    stop_timeout_s: int = 20
    health_check: dict[str, Any] | None = None  # ECS healthCheck: command, interval, ...

    def definition(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "name": self.name,
            "image": self.image,
            "memory": self.memory,
            "essential": True,
            "portMappings": [{"containerPort": self.port}],
            "environment": [{"name": k, "value": v} for k, v in self.environment.items()],
            "stopTimeout": self.stop_timeout_s,
        }
        if self.health_check:
            spec["healthCheck"] = self.health_check
        return spec


@dataclass
class TargetGroupSettings:
    """ALB defaults are interval 30 / timeout 5 / healthy 5 / unhealthy 2 / delay 300;
    these defaults are the rollout scenario's, chosen for a busy two-core machine."""

    health_check_path: str = "/v2/health/ready"
    interval_s: int = 30
    timeout_s: int = 20
    healthy_threshold: int = 2
    unhealthy_threshold: int = 2
    deregistration_delay_s: int = 20


class EcsService:
    """One service on ``emulator``; names come from ``isolation`` (or keyword arguments)."""

    def __init__(
        self,
        emulator: Emulator,
        isolation: Isolation | None = None,
        *,
        cluster: str | None = None,
        name: str | None = None,
        family: str | None = None,
        listener_port: int = 8080,
        load_balancer_name: str | None = None,
    ) -> None:
        scope = isolation or Isolation()
        self.emulator = emulator
        self.cluster = cluster or scope.cluster_name
        self.name = name or scope.service_name
        self.family = family or scope.family
        self._tg_name = scope.target_group_name
        # a second service may share the first's load balancer (blue/green: its own
        # target group behind a test listener on another port)
        self._lb_name = load_balancer_name or scope.load_balancer_name
        self.listener_port = listener_port
        self.container = ContainerSettings()
        self.target_group = TargetGroupSettings()
        self.desired_count = 2
        self.minimum_healthy_percent = 100
        self.maximum_percent = 200
        self.circuit_breaker: dict[str, bool] | None = None
        self.grace_period_s = 200  # 10 s at 0.05: the app loads its model first
        self.ecs = aws_client("ecs", emulator)
        self.elbv2 = aws_client("elbv2", emulator)
        self.target_group_arn = ""
        self.task_definition_arn = ""
        self._created: list[str] = []
        self._hooks: list[str] = []
        self._docker: Any = None
        self.traffic_shifting: TrafficShifting | None = None
        self.routing: BlueGreenRouting | None = None

    # ---------------------------------------------------------------- building

    def with_image(self, image: str) -> EcsService:
        self.container.image = image
        return self

    def with_container(
        self,
        *,
        name: str | None = None,
        port: int | None = None,
        memory: int | None = None,
        environment: dict[str, str] | None = None,
        stop_timeout_s: int | None = None,
        health_check: dict[str, Any] | None = None,
    ) -> EcsService:
        c = self.container
        c.name, c.port, c.memory = name or c.name, port or c.port, memory or c.memory
        c.environment = environment if environment is not None else c.environment
        c.stop_timeout_s = stop_timeout_s if stop_timeout_s is not None else c.stop_timeout_s
        c.health_check = health_check if health_check is not None else c.health_check
        return self

    def with_target_group(self, **settings: Any) -> EcsService:
        """Any field of :class:`TargetGroupSettings`, e.g. ``deregistration_delay_s=20``."""
        for key, value in settings.items():
            if not hasattr(self.target_group, key):
                raise TypeError(f"unknown target group setting {key!r}")
            setattr(self.target_group, key, value)
        return self

    def with_desired_count(self, count: int) -> EcsService:
        self.desired_count = count
        return self

    def with_deployment(
        self, *, minimum_healthy_percent: int = 100, maximum_percent: int = 200
    ) -> EcsService:
        self.minimum_healthy_percent, self.maximum_percent = (
            minimum_healthy_percent,
            maximum_percent,
        )
        return self

    def with_circuit_breaker(self, *, enable: bool = True, rollback: bool = True) -> EcsService:
        self.circuit_breaker = {"enable": enable, "rollback": rollback}
        return self

    def with_grace_period(self, seconds: int) -> EcsService:
        self.grace_period_s = seconds
        return self

    def with_strategy(self, shifting: TrafficShifting) -> EcsService:
        """Deploy with BLUE_GREEN, LINEAR or CANARY: a green target group, a production
        listener rule and a test listener (on ``shifting.test_listener_port``) are made."""
        self.traffic_shifting = shifting
        return self

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> EcsService:
        """Create everything; on any failure, remove what was created and re-raise."""
        if not self.container.image:
            raise ValueError("EcsService needs an image: call with_image(...)")
        try:
            self._create()
        except BaseException:
            self.stop()
            raise
        return self

    def _create(self) -> None:
        tg = self.target_group
        spec = TargetGroupSpec(
            name=self._tg_name,
            port=self.container.port,
            health_check_path=tg.health_check_path,
            interval_s=tg.interval_s,
            timeout_s=tg.timeout_s,
            healthy_threshold=tg.healthy_threshold,
            unhealthy_threshold=tg.unhealthy_threshold,
            deregistration_delay_s=tg.deregistration_delay_s,
        )
        self.target_group_arn = ensure_target_group(self.elbv2, spec)
        self._created.append("target group")
        lb_arn = ensure_load_balancer(self.elbv2, self._lb_name)
        ensure_listener(self.elbv2, lb_arn, self.listener_port, self.target_group_arn)
        deployment = deployment_configuration(
            self.minimum_healthy_percent, self.maximum_percent, self.circuit_breaker
        )
        if self.traffic_shifting is not None:
            green = dataclasses.replace(spec, name=f"{self._tg_name}-g")
            self.routing = create_routing(
                self.elbv2,
                lb_arn,
                self.listener_port,
                self.target_group_arn,
                green,
                self.traffic_shifting.test_listener_port,
            )
            self._created.append("alternate target group")
            deployment = self.traffic_shifting.deployment_configuration(deployment)
        self.ecs.create_cluster(clusterName=self.cluster)
        self._created.append("cluster")
        self.task_definition_arn = self.register_revision()
        create_service(
            self.ecs,
            cluster=self.cluster,
            name=self.name,
            task_definition=self.task_definition_arn,
            desired_count=self.desired_count,
            target=ContainerTarget(
                self.target_group_arn,
                self.container.name,
                self.container.port,
                self.routing.advanced_configuration() if self.routing else None,
            ),
            deployment=deployment,
            grace_period_s=self.grace_period_s,
        )
        self._created.append("service")

    def stop(self) -> None:
        """Delete what was created, newest first; errors are swallowed (the emulator's own
        teardown removes every container anyway)."""
        with contextlib.suppress(Exception):
            if "service" in self._created:
                self.ecs.delete_service(cluster=self.cluster, service=self.name, force=True)
        with contextlib.suppress(Exception):
            if "cluster" in self._created:
                self.ecs.delete_cluster(cluster=self.cluster)
        with contextlib.suppress(Exception):
            if "target group" in self._created:
                self.elbv2.delete_target_group(TargetGroupArn=self.target_group_arn)
        with contextlib.suppress(Exception):
            if "alternate target group" in self._created and self.routing is not None:
                self.elbv2.delete_target_group(
                    TargetGroupArn=self.routing.alternate_target_group_arn
                )
        self._created.clear()
        for name in self._hooks:
            self.emulator.lambda_hooks.unregister(name)
        self._hooks.clear()

    def __enter__(self) -> EcsService:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---------------------------------------------------------------- lifecycle hooks

    def register_hook(self, name: str, function: Callable[[dict[str, Any]], Any]) -> str:
        """Run ``function`` as the Lambda function ``name`` of a lifecycle hook (the
        emulator is in this process); returns the function ARN for ``hookTargetArn``.

        ``function`` gets AWS's event and answers like a Lambda hook
        (``{"hookStatus": "SUCCEEDED"}``, ``IN_PROGRESS`` with ``callBackDelay`` ...).
        Unregistered when the service stops.
        """
        self.emulator.lambda_hooks.register(name, function)
        self._hooks.append(name)
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"

    # ---------------------------------------------------------------- changing

    def register_revision(self, **container: Any) -> str:
        """Register a new task definition revision (optionally changing the container:
        ``image=``, ``environment=``, ...) and return its ARN; the service is untouched."""
        for key, value in container.items():
            setattr(self.container, key, value)
        return self.ecs.register_task_definition(
            family=self.family,
            containerDefinitions=[self.container.definition()],
        )["taskDefinition"]["taskDefinitionArn"]

    def update(
        self,
        *,
        task_definition: str | None = None,
        desired_count: int | None = None,
        **container: Any,
    ) -> str | None:
        """UpdateService. Container keywords (``image=...``) register a new revision first.
        Returns the task definition ARN the service now points at, if it changed."""
        if container:
            task_definition = self.register_revision(**container)
        request: dict[str, Any] = {"cluster": self.cluster, "service": self.name}
        if task_definition:
            request["taskDefinition"] = task_definition
            self.task_definition_arn = task_definition
        if desired_count is not None:
            request["desiredCount"] = self.desired_count = desired_count
        self.ecs.update_service(**request)
        return task_definition

    def force_new_deployment(self) -> str:
        """Replace every task with the same task definition; returns the new deployment id."""
        answer = self.ecs.update_service(
            cluster=self.cluster, service=self.name, forceNewDeployment=True
        )
        return answer["service"]["deployments"][0]["id"]

    # ---------------------------------------------------------------- reading

    @property
    def lb_url(self) -> str:
        return self.emulator.listener_url(self.listener_port)

    def describe(self) -> dict[str, Any]:
        return self.ecs.describe_services(cluster=self.cluster, services=[self.name])["services"][0]

    def running_count(self) -> int:
        return int(self.describe()["runningCount"])

    def primary(self) -> dict[str, Any]:
        return next(d for d in self.describe()["deployments"] if d["status"] == "PRIMARY")

    def tasks(self, desired_status: str = "RUNNING") -> list[dict[str, Any]]:
        arns = self.ecs.list_tasks(
            cluster=self.cluster, serviceName=self.name, desiredStatus=desired_status
        )["taskArns"]
        return self.ecs.describe_tasks(cluster=self.cluster, tasks=arns)["tasks"] if arns else []

    def task_ids(self, desired_status: str = "RUNNING") -> set[str]:
        return {t["taskArn"].rsplit("/", 1)[-1] for t in self.tasks(desired_status)}

    def task_containers(self) -> dict[str, Any]:
        """Task id -> docker container (running or exited) of this service's tasks.

        A container's hostname is its id's first 12 characters, which is what an app
        that reports its hostname (Drydock's serving image does) puts in ``X-Task-Id``.
        """
        if self._docker is None:
            self._docker = docker_client()
        client = self._docker
        # ignore_removed: another test on the same engine may remove a container between
        # docker's list and inspect calls.
        labels = [
            f"{LABEL_PREFIX}service={self.name}",
            f"{LABEL_PREFIX}project={self.emulator.settings.project}",
        ]
        found = client.containers.list(all=True, filters={"label": labels}, ignore_removed=True)
        return {c.labels[f"{LABEL_PREFIX}task-arn"].rsplit("/", 1)[-1]: c for c in found}

    def task_id_by_hostname(self) -> dict[str, str]:
        """Container hostname (``X-Task-Id`` of a hostname-reporting app) -> task id."""
        return {c.id[:12]: task for task, c in self.task_containers().items()}

    def events(self) -> list[str]:
        """Event messages, oldest first (DescribeServices lists them newest first)."""
        return [e["message"] for e in reversed(self.describe()["events"])]

    # ---------------------------------------------------------------- waiting

    def wait_stable(self, timeout_s: float = 120.0) -> None:
        """boto3's ``services_stable`` waiter, polled fast; on failure, say what happened."""
        try:
            self.ecs.get_waiter("services_stable").wait(
                cluster=self.cluster,
                services=[self.name],
                WaiterConfig={"Delay": 0.5, "MaxAttempts": max(1, int(timeout_s / 0.5))},
            )
        except WaiterError as exc:
            raise AssertionError(f"not stable: {exc}\n{self.diagnosis()}") from exc

    def wait_rollout_state(
        self, state: str, deployment_id: str | None = None, timeout_s: float = 120.0
    ) -> dict[str, Any] | None:
        """Wait until a deployment (default: the PRIMARY now) reaches ``state``.

        Returns the deployment as listed, or None when it already left the list: a FAILED
        deployment rolled back from is dropped once the rollback completes, which can
        happen within one poll, so its ``deployment failed`` event counts too.
        """
        target = deployment_id or self.primary()["id"]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            service = self.describe()
            listed = next((d for d in service["deployments"] if d["id"] == target), None)
            if listed is not None and listed["rolloutState"] == state:
                return listed
            if state == "FAILED" and any(
                f"(deployment {target}) deployment failed" in e["message"]
                for e in service["events"]
            ):
                return listed
            time.sleep(0.1)
        raise AssertionError(
            f"deployment {target} not {state} in {timeout_s} s\n{self.diagnosis()}"
        )

    def wait_targets_healthy(self, count: int | None = None, timeout_s: float = 60.0) -> None:
        """Wait until ``count`` (default: desired) targets are healthy in the target group:
        ``runningCount`` says a task runs, not that the load balancer routes to it."""
        want = self.desired_count if count is None else count
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            health = self.elbv2.describe_target_health(TargetGroupArn=self.target_group_arn)
            states = [t["TargetHealth"]["State"] for t in health["TargetHealthDescriptions"]]
            if states.count("healthy") == want and len(states) == want:
                return
            time.sleep(0.2)
        raise AssertionError(
            f"{want} healthy targets not reached in {timeout_s} s\n{self.diagnosis()}"
        )

    def diagnosis(self) -> str:
        """What the service, its targets, its tasks and the emulator's driver went through."""
        lines: list[str] = []
        with contextlib.suppress(Exception):
            service = self.describe()
            lines.append(f"deployments {service['deployments']}")
            lines.append("events " + "\n  ".join(self.events()))
        with contextlib.suppress(Exception):
            health = self.elbv2.describe_target_health(TargetGroupArn=self.target_group_arn)
            lines.append(f"targets {health['TargetHealthDescriptions']}")
        with contextlib.suppress(Exception):
            tasks = [*self.tasks("RUNNING"), *self.tasks("STOPPED")]
            lines.append(
                "tasks "
                + str(
                    [
                        (
                            t["taskArn"][-6:],
                            t["lastStatus"],
                            t.get("healthStatus"),
                            t.get("stoppedReason"),
                            [c.get("exitCode") for c in t["containers"]],
                        )
                        for t in tasks
                    ]
                )
            )
        driver = self.emulator.driver
        lines.append(f"driver errors {driver.errors if driver is not None else None}")
        return "\n".join(lines)
