"""``drydock release``: the command the pipelines' ``release`` and ``deploy`` jobs run.

Each story runs the real command line (a subprocess, as a CI job would) against an
in-process emulator serving Drydock's image behind HAProxy, with the model pinned to a
version in the task definition: a model-only release under steady load answers with
the new ``X-Model-Version`` and loses no request; a version nobody published is refused
naming the S3 key, with nothing registered; a release whose tasks crash is rolled back
by the circuit breaker and the command fails saying so and naming the revision serving
(its image named by tag, registered by the digest ECR gives for it).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest

from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.pipeline.model_pipeline import release_model
from harness.testing import (
    BoundsWatcher,
    ClientLoad,
    EcsService,
    Isolation,
    LocalCloud,
    aws_client,
)
from harness.testing.serving import serving_environment_for
from scenarios.bad_artifacts import push_crash_looping_image

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]


def _pinned_service(
    emulator: Emulator, names: Isolation, cloud: LocalCloud, image: str, version: str
) -> EcsService:
    """Drydock's image serving ``version`` of the isolation's model, pinned as the rollout
    stage pins it (``DRYDOCK_MODEL_URI`` ends in the version, not ``latest``)."""
    environment = serving_environment_for(cloud, names)
    environment["DRYDOCK_MODEL_URI"] = cloud.store.uri(names.model_name, version)
    return (
        EcsService(emulator, names)
        .with_image(image)
        .with_container(port=cloud.settings.serving_port, environment=environment)
        .with_target_group(deregistration_delay_s=20)
        .with_desired_count(2)
        .with_deployment(minimum_healthy_percent=100, maximum_percent=200)
        .with_circuit_breaker(enable=True, rollback=True)
    )


def _drydock_release(service: EcsService, *options: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "harness.cli",
        "release",
        "--endpoint-url",
        service.emulator.endpoint_url,
        "--cluster",
        service.cluster,
        "--service",
        service.name,
        "--json",
        *options,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def _revisions(service: EcsService) -> list[str]:
    answer = service.ecs.list_task_definitions(familyPrefix=service.family)
    return list(answer["taskDefinitionArns"])


def _container(service: EcsService, revision: str) -> dict[str, Any]:
    definition = service.ecs.describe_task_definition(taskDefinition=revision)
    return dict(definition["taskDefinition"]["containerDefinitions"][0])


def test_a_model_only_release_serves_the_new_version_with_zero_failed_requests(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
) -> None:
    cloud, names = drydock_cloud, drydock_isolation
    v1 = release_model(cloud.store, names.model_name, regularization=1.0)
    service = _pinned_service(
        drydock_emulator, names, cloud, drydock_serving_image.by_digest, v1.manifest.version
    )
    with service:
        service.wait_stable()
        service.wait_rollout_state("COMPLETED", timeout_s=60)
        revision_1 = service.describe()["taskDefinition"]
        v2 = release_model(cloud.store, names.model_name, regularization=0.05)
        with ClientLoad(service.lb_url) as load, BoundsWatcher(service) as bounds:
            time.sleep(0.5)
            began = time.monotonic()
            done = _drydock_release(service, "--model-version", v2.manifest.version)
            finished = time.monotonic()
            time.sleep(1.0)

        print(done.stderr)
        print(
            f"release {finished - began:.1f} s (wall, time scale applies); requests "
            f"{len(load.responses)}, failed {len(load.failures)}"
        )
        assert done.returncode == 0, done.stderr
        answer = json.loads(done.stdout)
        assert answer["outcome"] == "COMPLETED"
        assert answer["modelVersion"] == v2.manifest.version
        described = service.describe()
        assert described["taskDefinition"] == answer["taskDefinitionArn"] != revision_1
        assert described["deployments"][0]["id"] == answer["deploymentId"]
        old, new = _container(service, revision_1), _container(service, answer["taskDefinitionArn"])
        assert new["image"] == old["image"] == drydock_serving_image.by_digest, "no new image"
        assert answer["image"] == drydock_serving_image.by_digest
        environment = {e["name"]: e["value"] for e in new["environment"]}
        assert environment["DRYDOCK_MODEL_URI"] == cloud.store.uri(names.model_name, "2")
        assert load.failures == [], load.failures[:5]
        assert len(load.successes) > 20
        assert {r.version for r in load.after(finished)} == {v2.manifest.version}
        bounds.assert_held()


def test_an_unpublished_version_is_refused_and_nothing_is_registered(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
) -> None:
    cloud, names = drydock_cloud, drydock_isolation
    release_model(cloud.store, names.model_name)
    service = _pinned_service(drydock_emulator, names, cloud, drydock_serving_image.by_digest, "1")
    with service:
        service.wait_stable()
        before = _revisions(service), service.describe()["taskDefinition"]
        refused = _drydock_release(service, "--model-version", "7")

        print(refused.stderr)
        assert refused.returncode == 1
        assert refused.stdout == ""
        message = " ".join(refused.stderr.split())
        assert "model version 7 is not published" in message
        key = f"s3://{cloud.settings.model_bucket}/models/{names.model_name}/7/manifest.json"
        assert key in message
        assert (_revisions(service), service.describe()["taskDefinition"]) == before
        assert len(service.describe()["deployments"]) == 1


def test_a_release_whose_tasks_fail_is_rolled_back_and_the_command_says_so(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
) -> None:
    cloud, names = drydock_cloud, drydock_isolation
    crashing = push_crash_looping_image(
        cloud.client, drydock_serving_image, cloud.settings.registry_address
    )
    # The crashing image's repository in ECR: the release names it by tag and must
    # register it by digest (asked through ECR's DescribeImages).
    aws_client("ecr", drydock_emulator).create_repository(
        repositoryName="drydock/scenario-variants"
    )
    release_model(cloud.store, names.model_name)
    service = _pinned_service(drydock_emulator, names, cloud, drydock_serving_image.by_digest, "1")
    with service:
        service.wait_stable()
        service.wait_rollout_state("COMPLETED", timeout_s=60)
        revision_1 = service.describe()["taskDefinition"]
        with ClientLoad(service.lb_url, threads=2) as load:
            failed = _drydock_release(service, "--image", crashing.by_tag)

        print(failed.stderr)
        assert failed.returncode == 4, failed.stderr
        message = " ".join(failed.stderr.split())
        assert "rolled back by the deployment circuit breaker" in message
        assert "FAILED (tasks failed to start.)" in message
        assert f"revision {revision_1} (model v1) is serving" in message
        answer = json.loads(failed.stdout)
        assert answer["outcome"] == "ROLLED_BACK"
        assert answer["servingTaskDefinitionArn"] == revision_1
        assert answer["taskDefinitionArn"] != revision_1
        assert answer["image"] == crashing.by_digest, "the tag was pinned to its digest"
        assert _container(service, answer["taskDefinitionArn"])["image"] == crashing.by_digest
        described = service.describe()
        assert described["taskDefinition"] == revision_1
        assert [d["rolloutState"] for d in described["deployments"]] == ["COMPLETED"]
        assert load.failures == [], load.failures[:5]
