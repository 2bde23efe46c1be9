"""The whole emulator on the host: API server, driver loop, docker runtime, HAProxy.

A context manager, so a scenario (or ``drydock emulator``) always stops the loop and
removes every container it started. State lives in memory; with a journal, services
come back after a restart, and so do their tasks: ``stop(keep_tasks=True)`` leaves task
containers (and the emulator's own HAProxy) running, and the next emulator with the same
owner identity and journal adopts them (:mod:`.adoption`) instead of starting new ones,
so clients behind the balancer see no outage. Containers nobody adopts are removed at
start, so nothing stale keeps serving.
"""

from __future__ import annotations

import contextlib
import queue
import time
from pathlib import Path
from types import TracebackType

import docker

from harness.docker_engine import new_docker_client
from harness.docker_engine.containers import containers_labelled
from harness.docker_engine.registry_login import RegistryLogin
from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.cloudwatch import CloudWatchRegistry
from harness.ecs.control_plane.ecr import RegistryCredentials
from harness.ecs.control_plane.ecr.credentials import USER
from harness.ecs.control_plane.journal import Journal
from harness.ecs.control_plane.quotas import Quotas
from harness.ecs.control_plane.scheduler_adapter import service_scheduler_factory
from harness.ecs.control_plane.service_deployment_operations import keep_outcomes
from harness.ecs.emulator.alb_metrics_sampler import AlbMetricsSampler
from harness.ecs.emulator.ecr_registry import ecr_state, registry_credentials
from harness.ecs.emulator.elbv2_sync import Elbv2Sync
from harness.ecs.emulator.event_loop import Driver, ObservationQueue
from harness.ecs.emulator.haproxy_container import (
    BALANCER_ROLE,
    DEFAULT_LISTENER_PORTS,
    HaproxyContainer,
    attach_haproxy,
    find_kept_haproxy,
    start_haproxy,
)
from harness.ecs.emulator.lambda_hooks import LambdaHookTargets, LocalLambdaHookRunner
from harness.ecs.emulator.placement_gate import PlacementGate, register_engine
from harness.ecs.emulator.restart_adoption import adopt_left_behind
from harness.ecs.emulator.traffic_router import JournaledWeights, ListenerRuleRouter
from harness.ecs.events import EventBus
from harness.ecs.runtime.docker_runtime import DockerTaskRuntime
from harness.ecs.runtime.task_containers import EMULATOR_LABEL, emulator_owner, is_orphan
from harness.ecs.scheduler.ids import ReplayedIds
from harness.ecs.scheduler.settings import SchedulerSettings
from harness.images.resolver import ImageResolver
from harness.settings import DrydockSettings


class WallClock:
    """The scheduler's clock: epoch seconds, the same the control plane reports."""

    def now(self) -> float:
        return time.time()


class Emulator:
    """Start with :meth:`start` (or ``with``); read :attr:`endpoint_url` and
    :meth:`listener_url`; :attr:`bus` carries the typed service events."""

    def __init__(
        self,
        settings: DrydockSettings,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        listener_ports: tuple[int, ...] = DEFAULT_LISTENER_PORTS,
        balancer: str | None = None,
        journal: Path | None = None,
        owner: str | None = None,
        credentials: RegistryCredentials | None = None,
    ) -> None:
        """``balancer``: the compose service name of a running balancer to drive;
        None starts a balancer container of the emulator's own. ``owner``: the identity
        its containers carry (default :func:`emulator_owner`); a restart adopts the tasks
        of the same identity. ``credentials``: the registry's password (ECR's), for an
        emulator beside the local cloud's; default: kept beside the journal."""
        self.settings = settings
        self.owner = owner or emulator_owner()
        self.port = port
        self.host = host
        self.balancer_name = balancer
        #: Where API calls that change state are kept, so a restart keeps services.
        self.journal = Journal(journal) if journal is not None else None
        #: What GetAuthorizationToken hands out; tasks pull with it (the execution role's).
        self.registry_credentials = credentials or registry_credentials(journal)
        self.listener_ports = listener_ports
        self.bus = EventBus()
        self.observations: ObservationQueue = queue.Queue()
        self._client = new_docker_client()
        self.runtime = DockerTaskRuntime(
            new_docker_client,
            self.observations,
            network=settings.network,
            project=settings.project,
            owner=self.owner,
            registry_login=RegistryLogin(
                settings.registry_address, USER, self.registry_credentials.password
            ),
        )
        #: Lambda lifecycle hooks by function name (``lambda_hooks.register``).
        self.lambda_hooks = LambdaHookTargets(settings.lambda_hooks, settings.lambda_hook_timeout_s)
        self.hook_runner = LocalLambdaHookRunner(self.lambda_hooks, self.observations.put)
        self.haproxy: HaproxyContainer | None = None
        self.driver: Driver | None = None
        self.server: ApiServer | None = None

    @property
    def endpoint_url(self) -> str:
        assert self.server is not None, "the emulator is not started"
        return self.server.endpoint_url

    def listener_url(self, port: int) -> str:
        assert self.haproxy is not None, "the emulator is not started"
        return self.haproxy.listener_url(port)

    def start(self) -> Emulator:
        scale = self.settings.scale
        try:
            kept = self._kept_haproxy()
            self._remove_stale_balancers(kept)
            if kept is not None:
                self.haproxy = kept
            elif self.balancer_name:
                self.haproxy = attach_haproxy(
                    self._client,
                    self.balancer_name,
                    project=self.settings.project,
                    scale=scale,
                )
                self.listener_ports = tuple(sorted(self.haproxy.published))
            else:
                self.haproxy = start_haproxy(
                    self._client,
                    ImageResolver(self._client, self.settings),
                    network=self.settings.network,
                    project=self.settings.project,
                    listener_ports=self.listener_ports,
                    scale=scale,
                    owner=self.owner,
                )
            holder: list[Driver] = []
            ids = ReplayedIds()  # a journal replay gives deployments their ids back
            factory = service_scheduler_factory(
                WallClock(),
                SchedulerSettings(time=scale),
                self.bus,
                on_change=lambda handle: holder[0].wake() if holder else None,
                ids=ids,
            )
            control_plane = ControlPlane(
                clock=time.time,
                scheduler_factory=factory,
                ecr=ecr_state(self.settings, credentials=self.registry_credentials),
                quotas=Quotas.from_settings(self.settings),
                cloudwatch=CloudWatchRegistry(scale),
            )
            targets = Elbv2Sync(
                self.haproxy.driver, control_plane, self.runtime.address, scale=scale
            )
            register_engine(control_plane, self._client.info(), self.settings)
            gate = PlacementGate(self.runtime, control_plane, self.observations, self.bus)
            metrics = AlbMetricsSampler(self.haproxy.driver, control_plane)

            def after_step() -> None:
                gate.place_waiting()
                metrics.tick()  # CloudWatch: the balancer's metrics, then the alarms

            self.driver = Driver(
                control_plane,
                gate,
                targets,
                self.observations,
                after_step=after_step,
                traffic=ListenerRuleRouter(JournaledWeights(control_plane), control_plane.lock),
                hooks=self.hook_runner,
                alarms=control_plane.cloudwatch,
            )
            holder.append(self.driver)
            if self.journal is not None:
                self.journal.replay(control_plane, ids)
                control_plane.recorder = self.journal.record
                self.bus.subscribe(self.journal.record_event)
                self._keep_service_deployment_outcomes(control_plane, self.journal)
            adopt_left_behind(control_plane, self.runtime, targets)
            self.driver.start()
            self.server = ApiServer(
                control_plane,
                host=self.host,
                port=self.port,
                max_request_bytes=self.settings.ecs_max_request_bytes,
            ).start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, *, keep_tasks: bool = False) -> None:
        """Stop serving, stop the loop, remove every task container and HAProxy.

        ``keep_tasks``: leave the task containers and the emulator's own HAProxy running
        for the next emulator with the same owner and journal to adopt (a restart, as
        ECS's control plane restarts without stopping tasks). Without a journal nothing
        could adopt them, so they are removed anyway.
        """
        keep = keep_tasks and self.journal is not None
        if self.server is not None:
            self.server.stop()
        if self.driver is not None:
            self.driver.stop()
        self.hook_runner.shutdown()
        self.runtime.close(keep_tasks=keep)
        if self.haproxy is not None and not keep:
            self.haproxy.remove()
        self._client.close()  # its connection to the engine, not the engine

    def _keep_service_deployment_outcomes(
        self, control_plane: ControlPlane, journal: Journal
    ) -> None:
        """Journal how each service deployment ends, checked on every service event;
        what the replay restored is known already and not journaled again."""
        keep_outcomes(control_plane, lambda arn, outcome: None)
        self.bus.subscribe(lambda _event: keep_outcomes(control_plane, journal.record_outcome))

    def _kept_haproxy(self) -> HaproxyContainer | None:
        """Our own HAProxy that the previous incarnation kept (only with a journal: with
        none, it has no tasks to serve, and a fresh one is started as always)."""
        if self.balancer_name or self.journal is None:
            return None
        return find_kept_haproxy(
            self._client,
            project=self.settings.project,
            owner=self.owner,
            scale=self.settings.scale,
        )

    def _remove_stale_balancers(self, kept: HaproxyContainer | None) -> None:
        stale = containers_labelled(
            self._client, **{EMULATOR_LABEL: BALANCER_ROLE, "project": self.settings.project}
        )
        kept_id = kept.container.id if kept is not None else None
        for container in stale:
            if container.id != kept_id and is_orphan(container.labels, self.owner):
                with contextlib.suppress(docker.errors.DockerException):
                    container.remove(force=True)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
