"""A bad release must never reach clients: the circuit breaker fails it and rolls back.

A service of two tasks serves a good model behind the load balancer, with the
deployment circuit breaker on (enable + rollback) and AWS's default 100% / 200%.
Then a bad release goes out while a client keeps POSTing through the listener:

* a bad model published as the model's ``latest`` (corrupt pickle, tampered bytes,
  another scikit-learn) followed by ``forceNewDeployment``: new tasks load it, refuse
  it and exit non-zero with one line naming the problem, which ECS shows as the
  stopped task's ``stoppedReason``;
* models that only the file or its signature give away, released one after another to
  one service: a pickle really written by scikit-learn 1.8.0 under a manifest claiming
  ours, and what a bucket writer without the pipeline's signing key can publish (an
  unsigned model, one signed with its own key, a model swapped under a signature, a
  signed manifest edited). No code of theirs runs in a task: each is refused before
  anything is deserialised;
* an image that runs but never becomes ready (its target group health check 404s).
  (An image that crashes at start is ``test_emulator_circuit_breaker.py``'s.)

Each new task fails, the breaker trips after 3 (``ceil(0.5 x 2)`` clamped to the
minimum of 3), the deployment is FAILED and the old one is PRIMARY and COMPLETED again.

Model URI decision: these task definitions point at ``models/<name>/latest``, as the
deployment under test does. Rollback is safe then *only* because at
minimumHealthyPercent 100 the old tasks are never stopped: the rollback starts no task,
so nothing re-reads ``latest``; the scenarios assert the old tasks are the very same
before and after. A rollback that has to start old-revision tasks (lower minimum, or an
old task dying meanwhile) loads the bad model again: the last two scenarios show, at
50% / 100%, that task definitions pinning ``models/<name>/<version>`` make such a
rollback work, and that with ``latest`` the rolled-back deployment fails too and the
service stays a task short (no client error, but lost capacity).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import pytest

from harness.aws import s3_client
from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.pipeline.model_pipeline import ModelRelease
from harness.testing import BoundsWatcher, ClientLoad, EcsService, Isolation, LocalCloud
from harness.testing.serving import serving_service

from .bad_artifacts import BROKEN, UNTRUSTED, BadModel, publish_bad_model, push_never_ready_image

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]

#: AWS's current minimum failure threshold; desired 2 gives ceil(1) -> 3.
BREAKER_THRESHOLD = 3
#: 30 s scaled: a task with a bad model must fail by exiting (the story told here), not
#: be replaced for slow health checks first on a loaded machine; a rollback-started
#: task gets the time to load its model too.
GRACE_PERIOD_S = 600
#: 10 s scaled, for the image that never becomes ready: each of its tasks fails when
#: the grace period ends, so a longer one only makes the scenario slower.
SHORT_GRACE_PERIOD_S = 200


@dataclass
class Served:
    service: EcsService
    release: ModelRelease


@dataclass
class Episode:
    """What a bad release did to the service and what clients saw meanwhile."""

    load: ClientLoad
    bounds: BoundsWatcher
    old_deployment: str
    old_task_definition: str
    failed_deployment: str
    triggered_at: float
    rolled_back_at: float
    tasks_before: set[str]
    tasks_after: set[str]
    new_stopped: list[dict[str, Any]]  # tasks of the bad release, all STOPPED
    final: dict[str, Any]

    @property
    def failed_by_themselves(self) -> list[dict[str, Any]]:
        """Exited, or failed their health checks: what the breaker counts. A task still
        starting when it trips is stopped by the rollback instead."""
        return [
            t
            for t in self.new_stopped
            if t["stopCode"] == "EssentialContainerExited"
            or t["stoppedReason"].startswith("Task failed ELB health checks")
        ]

    def summary(self) -> str:
        tasks = [
            (
                t["taskArn"][-6:],
                t["taskDefinitionArn"].rsplit(":", 1)[-1],
                t.get("stopCode"),
                t.get("stoppedReason"),
                t["containers"][0].get("exitCode"),
            )
            for t in self.new_stopped
        ]
        return (
            f"failed and rolled back in {self.rolled_back_at - self.triggered_at:.1f} s; "
            f"requests {len(self.load.responses)}, failed {len(self.load.failures)}; "
            f"running {sorted({s.running for s in self.bounds.samples})}; "
            f"stopped new tasks {tasks}"
        )


def _start(
    service: EcsService,
    minimum: int = 100,
    maximum: int = 200,
    grace_period_s: int = GRACE_PERIOD_S,
) -> None:
    service.with_desired_count(2).with_circuit_breaker(enable=True, rollback=True)
    service.with_grace_period(grace_period_s)
    service.with_deployment(minimum_healthy_percent=minimum, maximum_percent=maximum).start()
    service.wait_stable()
    service.wait_rollout_state("COMPLETED")


@contextmanager
def _serving(
    cloud: LocalCloud,
    image: PushedImage,
    emulator: Emulator,
    isolation: Isolation,
    grace_period_s: int = GRACE_PERIOD_S,
    minimum: int = 100,
    maximum: int = 200,
) -> Iterator[Served]:
    """Two tasks serving a good model from ``latest``, their deployment COMPLETED."""
    service, release = serving_service(emulator, isolation, cloud, image.by_digest)
    try:
        _start(service, minimum, maximum, grace_period_s)
        yield Served(service, release)
    finally:
        service.stop()


@pytest.fixture
def served(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_emulator: Emulator,
    drydock_isolation: Isolation,
) -> Iterator[Served]:
    with _serving(
        drydock_cloud, drydock_serving_image, drydock_emulator, drydock_isolation
    ) as serving:
        yield serving


def _release_badly(service: EcsService, trigger: Callable[[], str]) -> Episode:
    """Run ``trigger`` (returns the new deployment's id) under client load, then wait for
    the breaker to fail it and for the rollback to complete."""
    primary = service.primary()
    before = service.task_ids()
    with ClientLoad(service.lb_url, max_seconds=150) as load, BoundsWatcher(service) as bounds:
        time.sleep(0.5)
        triggered = time.monotonic()
        failed = trigger()
        assert failed != primary["id"]
        service.wait_rollout_state("FAILED", failed, timeout_s=150)
        service.wait_rollout_state("COMPLETED", primary["id"], timeout_s=90)
        rolled_back = time.monotonic()
        time.sleep(1.0)  # clients keep being served after the rollback
    new_stopped = [
        t for t in service.tasks("STOPPED") if t["taskArn"].rsplit("/", 1)[-1] not in before
    ]
    return Episode(
        load,
        bounds,
        primary["id"],
        primary["taskDefinition"],
        failed,
        triggered,
        rolled_back,
        before,
        service.task_ids(),
        new_stopped,
        service.describe(),
    )


def _assert_rolled_back(episode: Episode, version: str) -> None:
    """Zero client errors, only ``version`` answered, the old deployment the only one,
    PRIMARY + COMPLETED on the old task definition, the breaker's event given."""
    load = episode.load
    assert load.failures == [], load.failures[:5]
    assert {r.version for r in load.successes} == {version}
    assert load.responses[0].at < episode.triggered_at and load.after(episode.rolled_back_at)
    assert [
        (d["id"], d["status"], d["rolloutState"], d["taskDefinition"])
        for d in episode.final["deployments"]
    ] == [(episode.old_deployment, "PRIMARY", "COMPLETED", episode.old_task_definition)]
    assert episode.final["taskDefinition"] == episode.old_task_definition
    messages = [e["message"] for e in episode.final["events"]]
    assert any(
        f"(deployment {episode.failed_deployment}) deployment failed: rolling back"
        f" to deployment {episode.old_deployment}" in m
        for m in messages
    ), messages
    assert len(episode.failed_by_themselves) >= BREAKER_THRESHOLD, episode.summary()
    for task in episode.new_stopped:
        if task not in episode.failed_by_themselves:
            assert task["stoppedReason"] == (
                f"Scaling activity initiated by (deployment {episode.old_deployment})"
            ), task


def _assert_old_tasks_served_throughout(episode: Episode) -> None:
    episode.bounds.assert_held()
    assert episode.tasks_after == episode.tasks_before, "the rollback must not start tasks"


@pytest.mark.parametrize("kind", BROKEN, ids=lambda k: k.value)
def test_bad_model_as_latest_is_rolled_back_while_the_old_version_serves(
    served: Served,
    drydock_cloud: LocalCloud,
    drydock_emulator: Emulator,
    kind: BadModel,
) -> None:
    service, store = served.service, drydock_cloud.store

    def release() -> str:
        publish_bad_model(
            store, s3_client(drydock_cloud.settings), served.release.manifest.name, kind
        )
        return service.force_new_deployment()

    episode = _release_badly(service, release)
    print("\n" + episode.summary())
    _assert_rolled_back(episode, served.release.manifest.version)
    _assert_old_tasks_served_throughout(episode)
    _assert_each_new_task_named(episode, kind, drydock_emulator)


def _assert_each_new_task_named(episode: Episode, kind: BadModel, emulator: Emulator) -> None:
    for task in episode.failed_by_themselves:
        assert task["containers"][0].get("exitCode") == 3, task  # EXIT_MODEL_NOT_LOADED
        # The server's one line is the container's last words, so ECS shows the cause.
        assert kind.refusal in task["stoppedReason"], task["stoppedReason"]
        assert kind.refusal in emulator.runtime.logs(task["taskArn"])["serving"]


def test_untrusted_models_are_each_rolled_back_while_the_old_version_serves(
    served: Served,
    drydock_cloud: LocalCloud,
    drydock_emulator: Emulator,
) -> None:
    """One service meets each untrusted model in turn; each release fails and is rolled
    back before the next, so the old tasks serve clients throughout all of them."""
    service, store = served.service, drydock_cloud.store
    s3 = s3_client(drydock_cloud.settings)
    for kind in UNTRUSTED:
        stopped_earlier = {t["taskArn"] for t in service.tasks("STOPPED")}

        def release(kind: BadModel = kind) -> str:
            publish_bad_model(store, s3, served.release.manifest.name, kind)
            return service.force_new_deployment()

        episode = _release_badly(service, release)
        episode = replace(
            episode,
            new_stopped=[t for t in episode.new_stopped if t["taskArn"] not in stopped_earlier],
        )
        print(f"\n{kind.value}: {episode.summary()}")
        _assert_rolled_back(episode, served.release.manifest.version)
        _assert_old_tasks_served_throughout(episode)
        _assert_each_new_task_named(episode, kind, drydock_emulator)


def test_image_that_never_becomes_ready_is_rolled_back_while_the_old_version_serves(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_emulator: Emulator,
    drydock_isolation: Isolation,
) -> None:
    bad = push_never_ready_image(
        drydock_cloud.client, drydock_serving_image, drydock_cloud.settings.registry_address
    )
    with _serving(
        drydock_cloud,
        drydock_serving_image,
        drydock_emulator,
        drydock_isolation,
        SHORT_GRACE_PERIOD_S,
    ) as served:
        service = served.service

        def release() -> str:
            service.update(image=bad.by_digest)
            return service.primary()["id"]

        episode = _release_badly(service, release)
        events = service.events()
    print("\n" + episode.summary())
    _assert_rolled_back(episode, served.release.manifest.version)
    _assert_old_tasks_served_throughout(episode)
    for task in episode.failed_by_themselves:
        assert task["containers"][0]["image"] == bad.by_digest
        # Running, but the target group (404 on the ready path) never calls it healthy.
        assert task["stoppedReason"].startswith("Task failed ELB health checks"), task
    assert any("is unhealthy in (target-group" in e for e in events), events


def test_rollback_that_must_start_tasks_works_because_the_model_uri_is_pinned(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_emulator: Emulator,
    drydock_isolation: Isolation,
) -> None:
    """At 50% / 100% the rollout stops an old task before starting a new one, so the
    rollback has to start an old-revision task: it serves the good model only because
    each revision pins ``models/<name>/<version>``."""
    service, good = serving_service(
        drydock_emulator, drydock_isolation, drydock_cloud, drydock_serving_image.by_digest
    )
    environment = {**service.container.environment, "DRYDOCK_MODEL_URI": good.uri}
    service.with_container(environment=environment)
    settings, store = drydock_cloud.settings, drydock_cloud.store
    try:
        _start(service, minimum=50, maximum=100)

        def release() -> str:
            bad = publish_bad_model(
                store, s3_client(settings), good.manifest.name, BadModel.CORRUPT
            )
            service.update(environment={**environment, "DRYDOCK_MODEL_URI": bad.uri})
            return service.primary()["id"]

        episode = _release_badly(service, release)
        running = {t["taskArn"].rsplit("/", 1)[-1]: t for t in service.tasks()}
    finally:
        service.stop()

    print("\npinned: " + episode.summary())
    _assert_rolled_back(episode, good.manifest.version)
    assert min(s.running for s in episode.bounds.samples) >= 1  # ceil(50% x 2)
    started_by_rollback = episode.tasks_after - episode.tasks_before
    assert len(started_by_rollback) == 1, (episode.tasks_before, episode.tasks_after)
    restored = running[started_by_rollback.pop()]
    assert restored["taskDefinitionArn"] == episode.old_task_definition


def test_with_latest_a_rollback_that_must_start_tasks_loads_the_bad_model_again(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_emulator: Emulator,
    drydock_isolation: Isolation,
) -> None:
    """The same release at 50% / 100% with ``latest`` URIs: the rollback's new task reads
    ``latest`` (the bad model), so the rolled-back deployment fails as well and, with no
    COMPLETED deployment left to return to, the service stays one task short. The old
    task that was never stopped still answers every request: clients see no error, but
    the capacity is gone until a good model is published."""
    with _serving(
        drydock_cloud,
        drydock_serving_image,
        drydock_emulator,
        drydock_isolation,
        minimum=50,
        maximum=100,
    ) as served:
        service = served.service
        old, before = service.primary()["id"], service.task_ids()
        with ClientLoad(service.lb_url, max_seconds=150) as load:
            time.sleep(0.5)
            publish_bad_model(
                drydock_cloud.store,
                s3_client(drydock_cloud.settings),
                served.release.manifest.name,
                BadModel.CORRUPT,
            )
            failed = service.force_new_deployment()
            service.wait_rollout_state("FAILED", failed, timeout_s=150)
            service.wait_rollout_state("FAILED", old, timeout_s=150)
            time.sleep(1.0)
        final, after = service.describe(), service.task_ids()

    states = [(d["id"], d["status"], d["rolloutState"]) for d in final["deployments"]]
    print(
        f"\nlatest: requests {len(load.responses)}, failed {len(load.failures)}; "
        f"deployments {states}"
    )
    assert load.failures == [], load.failures[:5]
    assert {r.version for r in load.successes} == {served.release.manifest.version}
    primary = final["deployments"][0]
    assert (primary["id"], primary["status"], primary["rolloutState"]) == (old, "PRIMARY", "FAILED")
    assert (final["runningCount"], final["desiredCount"]) == (1, 2)
    assert len(after) == 1 and after < before, "only the never-stopped old task serves"
