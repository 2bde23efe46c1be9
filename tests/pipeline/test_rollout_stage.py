"""The demo's rollout stage against the emulator's API (services converge at once)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.ecs.domain import RolloutState
from harness.errors import DrydockError
from harness.images.registry import PushedImage
from harness.pipeline.rollout import (
    ServiceSpec,
    deploy_model_server,
    ecs_clients,
    ensure_model_server,
)
from harness.settings import DrydockSettings

IMAGE = PushedImage("127.0.0.1:5050/drydock/serving", "abc", "sha256:" + "1" * 64, True)
MODEL_V1 = "s3://drydock-models/models/iris/1"


def served(_: dict[str, object]) -> None:
    """Every pinned model would load (the check on S3 is ``test_pinned_model``'s)."""


@pytest.fixture
def control_plane() -> ControlPlane:
    return ControlPlane()


@pytest.fixture
def settings(control_plane: ControlPlane) -> Iterator[DrydockSettings]:
    with ApiServer(control_plane) as server:
        yield DrydockSettings(ecs_port=server.port)


def test_first_run_creates_load_balancing_and_the_service(settings: DrydockSettings) -> None:
    events: list[str] = []
    rollout = deploy_model_server(settings, IMAGE, MODEL_V1, on_event=events.append)

    assert rollout.outcome == "created"
    ecs, elbv2 = ecs_clients(settings)
    service = ecs.describe_services(cluster="drydock", services=["model-server"])["services"][0]
    assert service["desiredCount"] == 2
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"]["rollback"] is True
    definition = ecs.describe_task_definition(taskDefinition=rollout.task_definition_arn)
    container = definition["taskDefinition"]["containerDefinitions"][0]
    assert container["image"] == IMAGE.by_digest
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert environment["DRYDOCK_MODEL_URI"] == MODEL_V1, "the model version is pinned"
    assert "DRYDOCK_TASK_ID" not in environment
    group = elbv2.describe_target_groups()["TargetGroups"][0]
    assert group["HealthCheckPath"] == "/v2/health/ready"
    listener = elbv2.describe_listeners(
        LoadBalancerArn=elbv2.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"]
    )["Listeners"][0]
    assert listener["Port"] == 80
    assert any(line.startswith("registered ") for line in events)


def test_same_image_and_model_change_nothing_and_a_new_model_rolls(
    settings: DrydockSettings,
) -> None:
    first = deploy_model_server(settings, IMAGE, MODEL_V1, on_event=lambda _: None)
    again = deploy_model_server(settings, IMAGE, MODEL_V1, on_event=lambda _: None)
    newer = deploy_model_server(
        settings, IMAGE, MODEL_V1.replace("/1", "/2"), on_event=lambda _: None
    )

    assert again.outcome == "unchanged"
    assert again.task_definition_arn == first.task_definition_arn
    assert newer.outcome == "updated"
    assert newer.task_definition_arn.endswith(":2")
    ecs, elbv2 = ecs_clients(settings)
    assert len(elbv2.describe_target_groups()["TargetGroups"]) == 1
    service = ecs.describe_services(cluster="drydock", services=["model-server"])["services"][0]
    assert service["taskDefinition"] == newer.task_definition_arn


def test_the_right_revision_that_does_not_serve_is_redeployed_not_reported_unchanged(
    settings: DrydockSettings, control_plane: ControlPlane
) -> None:
    """Say the emulator replayed the service while S3 was empty: its tasks failed."""
    first = deploy_model_server(settings, IMAGE, MODEL_V1, on_event=lambda _: None)
    (handle,) = control_plane.schedulers()
    broken = handle.service
    broken.primary.rollout_state = RolloutState.FAILED
    broken.running_count = 0
    events: list[str] = []

    again = deploy_model_server(settings, IMAGE, MODEL_V1, on_event=events.append)

    assert again.outcome == "redeployed"
    assert again.task_definition_arn == first.task_definition_arn
    assert events[0] == "model-server runs this revision but its deployment is FAILED: redeploying"
    ecs, _ = ecs_clients(settings)
    service = ecs.describe_services(cluster="drydock", services=["model-server"])["services"][0]
    assert service["runningCount"] == 2
    assert [d["rolloutState"] for d in service["deployments"]] == ["COMPLETED"]
    assert deploy_model_server(settings, IMAGE, MODEL_V1, on_event=print).outcome == "unchanged"


def test_a_dead_api_is_named(settings: DrydockSettings) -> None:
    dead = settings.model_copy(update={"ecs_port": 1})
    with pytest.raises(DrydockError, match=re.escape("ECS/ELBv2 API at http://127.0.0.1:1:")):
        deploy_model_server(dead, IMAGE, MODEL_V1, spec=ServiceSpec(), on_event=print)


def test_ensure_creates_the_service_once_and_then_leaves_it_to_the_pipelines(
    settings: DrydockSettings,
) -> None:
    """The first run creates it from the first revision; afterwards a pipeline's own
    revision (another image, another model) is never rolled back to this checkout's."""
    asked: list[str] = []

    def first_revision() -> tuple[PushedImage, str]:
        asked.append("first revision")
        return IMAGE, MODEL_V1

    created = ensure_model_server(
        settings, first_revision, on_event=lambda _: None, why_model_refused=served
    )
    pipelines_image = PushedImage(IMAGE.repository, "def", "sha256:" + "2" * 64, True)
    deployed = deploy_model_server(
        settings, pipelines_image, MODEL_V1.replace("/1", "/3"), on_event=lambda _: None
    )
    again = ensure_model_server(
        settings, first_revision, on_event=lambda _: None, why_model_refused=served
    )

    assert created.outcome == "created" and asked == ["first revision"]
    assert again.outcome == "unchanged" and asked == ["first revision"], "asked once only"
    assert again.task_definition_arn == deployed.task_definition_arn
    ecs, _ = ecs_clients(settings)
    service = ecs.describe_services(cluster="drydock", services=["model-server"])["services"][0]
    assert service["taskDefinition"] == deployed.task_definition_arn
    assert len(service["deployments"]) == 1


def test_ensure_redeploys_an_existing_service_that_does_not_serve_its_own_revision(
    settings: DrydockSettings, control_plane: ControlPlane
) -> None:
    first = deploy_model_server(settings, IMAGE, MODEL_V1, on_event=lambda _: None)
    (handle,) = control_plane.schedulers()
    handle.service.primary.rollout_state = RolloutState.FAILED
    handle.service.running_count = 0
    events: list[str] = []

    def never() -> tuple[PushedImage, str]:
        raise AssertionError("the service exists: no first revision")

    again = ensure_model_server(settings, never, on_event=events.append, why_model_refused=served)

    assert again.outcome == "redeployed"
    assert again.task_definition_arn == first.task_definition_arn
    assert events[0] == (
        "model-server exists but its deployment is FAILED: redeploying its own revision"
    )
    ecs, _ = ecs_clients(settings)
    service = ecs.describe_services(cluster="drydock", services=["model-server"])["services"][0]
    assert service["runningCount"] == 2
    assert [d["rolloutState"] for d in service["deployments"]] == ["COMPLETED"]


def test_ensure_repairs_a_service_pinned_to_a_model_its_tasks_would_refuse(
    settings: DrydockSettings,
) -> None:
    """The emulator's journal kept the service pinned to v2 while S3 lost v2: it is rolled
    to the first revision (v1 here), saying what was repaired and why."""
    pinned = deploy_model_server(
        settings, IMAGE, MODEL_V1.replace("/1", "/2"), on_event=lambda _: None
    )
    asked: list[str] = []
    events: list[str] = []

    def refuse_v2(container: dict[str, object]) -> str | None:
        uri = next(
            e["value"]
            for e in container["environment"]  # type: ignore[attr-defined]
            if e["name"] == "DRYDOCK_MODEL_URI"
        )
        asked.append(uri)
        return "model version 2 is not published" if uri.endswith("/2") else None

    def first_revision() -> tuple[PushedImage, str]:
        return IMAGE, MODEL_V1

    repaired = ensure_model_server(
        settings, first_revision, on_event=events.append, why_model_refused=refuse_v2
    )
    again = ensure_model_server(
        settings, first_revision, on_event=lambda _: None, why_model_refused=refuse_v2
    )

    assert repaired.outcome == "repaired"
    assert repaired.repaired_because == "model version 2 is not published"
    assert repaired.task_definition_arn != pinned.task_definition_arn
    assert events[0] == (
        "repairing model-server: its revision drydock-model-server:1 pins a model its "
        "tasks would refuse (model version 2 is not published); rolling it to a first "
        "revision"
    )
    ecs, _ = ecs_clients(settings)
    service = ecs.describe_services(cluster="drydock", services=["model-server"])["services"][0]
    assert service["taskDefinition"] == repaired.task_definition_arn
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
    environment = definition["taskDefinition"]["containerDefinitions"][0]["environment"]
    assert {e["name"]: e["value"] for e in environment}["DRYDOCK_MODEL_URI"] == MODEL_V1
    assert again.outcome == "unchanged", "a repaired service is left alone"
    assert asked == [MODEL_V1.replace("/1", "/2"), MODEL_V1]
