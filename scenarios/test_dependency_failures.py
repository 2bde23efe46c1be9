"""A dependency dies: what the deployment does, what clients see, what the user reads.

Each scenario stops a *dedicated* copy of a local-cloud service (see
``dedicated_services``), never the shared compose services other sessions use:

1. S3 (LocalStack) goes away before a rollout: new tasks cannot load the model, the
   circuit breaker trips and rolls back, and the running tasks keep serving v1 through
   the load balancer without a single failed request.
2. The registry goes away before a push: the push fails with an error naming the
   registry, the release stops there (ECS never hears of the image), and the service
   keeps serving the image it runs.
3. S3 is gone when a model is published: one clear error naming the endpoint and the
   bucket, from the library and from ``drydock model publish``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from harness.docker_engine.containers import containers_labelled
from harness.ecs.emulator.emulator import Emulator
from harness.errors import DrydockError, RegistryError
from harness.images.registry import PushedImage
from harness.model.artifact import package
from harness.model.store import ModelStore, pipeline_store
from harness.model.training import train
from harness.pipeline.deploy import DeployOutcome, deploy
from harness.pipeline.model_pipeline import release_model
from harness.pipeline.service_pipeline import build_and_push, serving_environment
from harness.settings import DrydockSettings
from harness.testing import (
    BoundsWatcher,
    ClientLoad,
    EcsService,
    Isolation,
    LocalCloud,
    aws_client,
    derived_image,
)
from harness.testing.load import IRIS_ROW

from .dedicated_services import DedicatedLocalStack, DedicatedRegistry

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]

#: serving.wsgi.EXIT_MODEL_NOT_LOADED: a task that cannot load its model exits 3.
EXIT_MODEL_NOT_LOADED = 3


def _model_store(localstack: DedicatedLocalStack, base: DrydockSettings) -> ModelStore:
    """The model store on the dedicated LocalStack, through the pipeline's own S3 client."""
    settings = localstack.settings_for(base)
    store = pipeline_store(settings)
    store.create_bucket()
    return store


def _until(condition: Any, what: str, service: EcsService, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {timeout_s} s\n{service.diagnosis()}")


def test_localstack_stopped_during_a_rollout_rolls_back_and_v1_keeps_serving(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
) -> None:
    cloud, scope = drydock_cloud, drydock_isolation
    with DedicatedLocalStack.of(
        cloud.resolver, cloud.settings, scope.container_name("localstack")
    ) as localstack:
        store = _model_store(localstack, cloud.settings)
        v1 = release_model(store, scope.model_name, regularization=1.0)
        model_uri = store.uri(scope.model_name, "latest")
        environment = {
            **serving_environment(cloud.settings, model_uri, "ecs-task"),
            "AWS_ENDPOINT_URL": localstack.url_in_network,
        }
        service = (
            EcsService(drydock_emulator, scope)
            .with_image(drydock_serving_image.by_digest)
            .with_container(environment=environment)
            .with_desired_count(2)
            .with_deployment(minimum_healthy_percent=100, maximum_percent=200)
            .with_circuit_breaker(enable=True, rollback=True)
            # 60 s scaled: each new task's own exit, not a failed ELB check, must end it,
            # even when a loaded two-core machine takes over 10 s to start a container.
            .with_grace_period(1200)
        )
        with service:
            service.wait_stable()
            service.wait_rollout_state("COMPLETED")
            previous = service.primary()
            old_tasks = service.task_ids()

            v2 = release_model(store, scope.model_name, regularization=0.02)
            assert v2.manifest.version != v1.manifest.version
            localstack.stop_service()
            began = time.monotonic()
            with ClientLoad(service.lb_url, pause_s=0.05) as load, BoundsWatcher(service) as bounds:
                update_sent = datetime.now(UTC)
                failed_id = service.force_new_deployment()
                service.wait_rollout_state("FAILED", failed_id)
                tripped = time.monotonic()
                _until(
                    lambda: (
                        [
                            (d["id"], d["status"], d["rolloutState"])
                            for d in service.describe()["deployments"]
                        ]
                        == [(previous["id"], "PRIMARY", "COMPLETED")]
                    ),
                    "the rollback to the previous deployment",
                    service,
                )
                service.wait_stable()
                settled = time.monotonic()
                time.sleep(1.0)  # clients keep asking after the rollback settled

            events = service.events()
            # Tasks of the failed deployment: those created after the update was sent.
            stopped = [t for t in service.tasks("STOPPED") if t["createdAt"] >= update_sent]
            print(
                f"\ntrip {tripped - began:.1f} s, settled {settled - began:.1f} s; "
                f"requests {len(load.responses)}, failed {len(load.failures)}; "
                f"failed tasks {len(stopped)}"
            )
            for line in events:
                print(" ", line[:160])

            # The running version is untouched: same tasks, same deployment, v1 only.
            assert load.failures == [], load.failures[:5]
            assert len(load.successes) > 30
            assert {r.version for r in load.responses} == {v1.manifest.version}
            assert load.after(settled), "clients were still answered after the rollback"
            assert service.task_ids() == old_tasks
            assert service.primary()["taskDefinition"] == previous["taskDefinition"]
            bounds.assert_held()
            assert any(f"(deployment {failed_id}) deployment failed" in e for e in events)
            assert any(f"rolling back to deployment {previous['id']}" in e for e in events)

            # Each new task failed to load the model and said why, in one line; the breaker
            # tripped at its threshold (3), and the rollback stopped what was still starting.
            exited = [t for t in stopped if t.get("stopCode") == "EssentialContainerExited"]
            others = [t.get("stoppedReason") for t in stopped if t not in exited]
            print(
                "failed deployment's tasks:",
                [(t.get("stopCode"), t.get("stoppedReason", "")[:90]) for t in stopped],
            )
            assert len(exited) >= 3, stopped
            print("a failed task's stoppedReason:", exited[0]["stoppedReason"])
            assert set(others) <= {f"Scaling activity initiated by (deployment {previous['id']})"}
            endpoint = f"{localstack.url_in_network}/{store.bucket}/models/{scope.model_name}"
            for task in exited:
                reason = task["stoppedReason"]
                assert f"cannot load model {model_uri}" in reason, reason
                assert endpoint in reason, reason
                assert task["containers"][0]["exitCode"] == EXIT_MODEL_NOT_LOADED
                logs = drydock_emulator.runtime.logs(task["taskArn"])["serving"]
                assert f"cannot load model {model_uri}" in logs
                assert "Traceback" not in logs, logs
            assert not drydock_emulator.driver.errors  # type: ignore[union-attr]


def release(
    cloud: LocalCloud, settings: DrydockSettings, ecs: Any, service: EcsService
) -> DeployOutcome:
    """The service pipeline's release as a user's CI runs it: build and push the image,
    then register a revision and roll the service. ECS must never hear of an image the
    registry does not hold, so the push comes first and a failed push ends the release."""
    _, pushed = build_and_push(cloud.client, cloud.resolver, settings)
    return deploy(
        ecs,
        service.cluster,
        service.name,
        image=pushed.by_digest,
        on_event=lambda _: None,
        timeout_s=120,
    )


def _untag_everything_from(client: Any, registry: str) -> None:
    """Pushes leave ``<registry>/...`` tags in the engine; a dead registry's are noise."""
    for image in client.images.list():
        for tag in image.tags:
            if tag.startswith(f"{registry}/"):
                with contextlib.suppress(Exception):
                    client.images.remove(tag)


def test_registry_stopped_before_a_push_stops_the_release_and_the_service_keeps_serving(
    drydock_cloud: LocalCloud,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
) -> None:
    cloud, scope = drydock_cloud, drydock_isolation
    model = release_model(cloud.store, scope.model_name, regularization=0.5)
    registry = DedicatedRegistry.of(
        cloud.resolver, cloud.settings, scope.container_name("registry")
    )
    with registry:
        settings = registry.settings_for(cloud.settings)
        try:
            _, first = build_and_push(cloud.client, cloud.resolver, settings)
            assert first.pushed and first.repository.startswith(f"{registry.address}/")
            service = (
                EcsService(drydock_emulator, scope)
                .with_image(first.by_digest)
                .with_container(
                    environment=serving_environment(
                        cloud.settings, cloud.store.uri(scope.model_name, "latest"), "ecs-task"
                    )
                )
                .with_desired_count(1)
            )
            with service:
                service.wait_stable()
                service.wait_rollout_state("COMPLETED")  # its target is healthy: it serves
                before = service.describe()
                tasks = service.task_ids()

                registry.stop_service()
                # A new tag of a new image (built from the running one) cannot be pushed.
                with pytest.raises(RegistryError) as push_refused:
                    derived_image(
                        cloud.client,
                        first,
                        ["LABEL drydock.release=next"],
                        registry.address,
                        settings.serving_repository,
                        "next",
                    )
                not_answering = (
                    f"the registry at {registry.address} is not answering (ConnectionError); "
                    "start it (the local cloud's registry: `drydock stack up`) or point "
                    "DRYDOCK_REGISTRY_PORT at one that runs"
                )
                assert str(push_refused.value) == not_answering

                ecs = aws_client("ecs", drydock_emulator)
                calls: list[str] = []
                ecs.meta.events.register(
                    "before-call.ecs", lambda model, **_: calls.append(model.name)
                )
                began = time.monotonic()
                with pytest.raises(RegistryError) as release_refused:
                    release(cloud, settings, ecs, service)
                seconds = time.monotonic() - began
                print(f"\nrelease refused in {seconds:.2f} s: {release_refused.value}")

                # The error names the registry; the release stopped at the push.
                assert str(release_refused.value) == not_answering
                assert calls == []
                revisions = service.ecs.list_task_definitions(familyPrefix=service.family)[
                    "taskDefinitionArns"
                ]
                assert [arn.rsplit(":", 1)[-1] for arn in revisions] == ["1"]

                # Nothing half-deployed: the same deployment and task serve the first image.
                after = service.describe()
                assert [
                    (d["id"], d["rolloutState"], d["taskDefinition"]) for d in after["deployments"]
                ] == [
                    (d["id"], d["rolloutState"], d["taskDefinition"]) for d in before["deployments"]
                ]
                assert service.task_ids() == tasks
                (task,) = service.tasks()
                (container,) = containers_labelled(cloud.client, **{"task-arn": task["taskArn"]})
                assert container.attrs["Config"]["Image"] == first.by_digest
                answers = [
                    requests.post(service.lb_url + "/predict", json=IRIS_ROW, timeout=10)
                    for _ in range(5)
                ]
                assert [a.status_code for a in answers] == [200] * 5
                assert {a.headers["X-Model-Version"] for a in answers} == {model.manifest.version}
        finally:
            _untag_everything_from(cloud.client, registry.address)


def test_publishing_a_model_to_a_stopped_localstack_is_one_clear_error(
    drydock_cloud: LocalCloud,
    drydock_isolation: Isolation,
) -> None:
    cloud, scope = drydock_cloud, drydock_isolation
    with DedicatedLocalStack.of(
        cloud.resolver, cloud.settings, scope.container_name("localstack")
    ) as localstack:
        store = _model_store(localstack, cloud.settings)
        first = release_model(store, scope.model_name)
        assert store.latest_version(scope.model_name) == first.manifest.version
        settings = localstack.settings_for(cloud.settings)
        localstack.stop_service()

        artifact = package(train("iris", regularization=0.5), scope.model_name, "2", "pickle")
        began = time.monotonic()
        with pytest.raises(DrydockError) as refused:
            store.publish(artifact)
        seconds = time.monotonic() - began
        expected = (
            f"S3 is not reachable for bucket {store.bucket}: Could not connect to the "
            f'endpoint URL: "{settings.localstack_url}/{store.bucket}"'
        )
        assert str(refused.value) == expected

        # The command says the same, without a traceback, and exits non-zero.
        command = subprocess.run(
            [sys.executable, "-m", "harness.cli", "model", "publish"],
            env={
                **os.environ,
                "DRYDOCK_LOCALSTACK_PORT": str(localstack.host_port),
                "DRYDOCK_MODEL_NAME": scope.model_name,
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
    print(f"\npublish refused in {seconds:.2f} s; CLI stderr: {command.stderr!r}")
    assert command.returncode == 1
    assert "Traceback" not in command.stderr
    assert command.stderr.startswith("drydock: error: S3 is not reachable for bucket")
    assert " ".join(command.stderr.split()) == f"drydock: error: {expected}"
