"""``drydock deploy`` against the API with the instant scheduler (services converge at once)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.errors import DrydockError
from harness.pipeline.deploy import deploy


@pytest.fixture
def ecs(ecs_api: Any) -> Any:
    ecs_api.register_task_definition(
        family="web",
        containerDefinitions=[
            {"name": "app", "image": "app:1", "environment": [{"name": "A", "value": "1"}]}
        ],
    )
    ecs_api.create_service(cluster="c", serviceName="web", taskDefinition="web", desiredCount=2)
    return ecs_api


def test_deploy_registers_a_revision_with_the_new_image_and_rolls(ecs: Any) -> None:
    lines: list[str] = []
    outcome = deploy(ecs, "c", "web", image="app:2", on_event=lines.append, poll_s=0.01)
    assert outcome.rollout_state == "COMPLETED"
    assert outcome.task_definition_arn.endswith("web:2")
    revision = ecs.describe_task_definition(taskDefinition="web:2")["taskDefinition"]
    assert revision["containerDefinitions"][0]["image"] == "app:2"
    assert revision["containerDefinitions"][0]["environment"] == [{"name": "A", "value": "1"}]
    service = ecs.describe_services(cluster="c", services=["web"])["services"][0]
    assert service["taskDefinition"] == outcome.task_definition_arn
    assert lines[0].startswith("registered ")


def test_deploy_names_a_missing_container(ecs: Any) -> None:
    with pytest.raises(DrydockError, match="no container 'nope'"):
        deploy(ecs, "c", "web", image="app:2", container="nope", on_event=lambda _: None)


def test_deploy_refuses_an_unknown_service(ecs: Any) -> None:
    with pytest.raises(DrydockError, match="not ACTIVE"):
        deploy(ecs, "c", "missing", on_event=lambda _: None)


def test_the_deploy_command_prints_events_and_the_outcome(ecs: Any) -> None:
    from click.testing import CliRunner

    from harness.cli import main

    endpoint = ecs.meta.endpoint_url
    result = CliRunner().invoke(
        main,
        [
            "deploy",
            "--endpoint-url",
            endpoint,
            "--cluster",
            "c",
            "--service",
            "web",
            "--image",
            "app:3",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "registered " in result.output
    assert "web:2: COMPLETED" in result.output


def _deployment(id_: str, status: str, state: str, revision: str) -> dict[str, Any]:
    return {"id": id_, "status": status, "rolloutState": state, "taskDefinition": revision}


def test_a_rolled_back_deployment_is_a_failure_even_when_the_old_one_completes() -> None:
    from harness.pipeline.deploy import rollout_verdict

    rolling_back = {
        "deployments": [
            _deployment("old", "PRIMARY", "IN_PROGRESS", "web:1"),
            {**_deployment("new", "ACTIVE", "FAILED", "web:2"), "rolloutStateReason": "breaker"},
        ]
    }
    verdict = rollout_verdict(rolling_back, "new")
    assert verdict is not None and "deployment new FAILED: breaker" in verdict
    assert "rolled back to deployment old (web:1)" in verdict
    settled = {"deployments": [_deployment("old", "PRIMARY", "COMPLETED", "web:1")]}
    assert rollout_verdict(settled) == "COMPLETED", "without an id the PRIMARY is followed"
    gone = rollout_verdict(settled, "new")
    assert gone is not None and "gone" in gone
    going = {"deployments": [_deployment("new", "PRIMARY", "IN_PROGRESS", "web:2")]}
    assert rollout_verdict(going, "new") is None
    done = {"deployments": [_deployment("new", "PRIMARY", "COMPLETED", "web:2")]}
    assert rollout_verdict(done, "new") == "COMPLETED"
