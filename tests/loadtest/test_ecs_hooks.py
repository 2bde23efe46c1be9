"""The load test's deployment trigger: the UpdateService it sends, checked against
botocore's ECS model (Stubber validates every parameter as the real client would)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import Stubber

from harness.loadtest.ecs_hooks import StrategyChange, deploy


def _sent(trigger_of: Any, **expected: Any) -> None:
    client = boto3.client(
        "ecs", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    with Stubber(client) as stub:
        stub.add_response("update_service", {}, expected)
        trigger_of(client)()
        stub.assert_no_pending_responses()


def test_without_a_task_definition_every_task_is_replaced() -> None:
    _sent(lambda c: deploy(c, "c", "web"), cluster="c", service="web", forceNewDeployment=True)


def test_a_new_revision_by_canary_sets_the_strategy_in_the_same_call() -> None:
    change = StrategyChange("CANARY", bake_time_in_minutes=1, canary_percent=5.0,
                            step_bake_time_in_minutes=3)  # fmt: skip
    _sent(
        lambda c: deploy(c, "c", "web", "iris:7", change),
        cluster="c",
        service="web",
        taskDefinition="iris:7",
        deploymentConfiguration={
            "strategy": "CANARY",
            "bakeTimeInMinutes": 1,
            "canaryConfiguration": {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 3},
        },
    )


def test_linear_gets_its_step_and_blue_green_only_the_strategy() -> None:
    linear = StrategyChange("LINEAR", linear_step_percent=25.0, step_bake_time_in_minutes=2)
    assert linear.deployment_configuration() == {
        "strategy": "LINEAR",
        "linearConfiguration": {"stepPercent": 25.0, "stepBakeTimeInMinutes": 2},
    }
    # a canary percent given with another strategy is not sent
    assert StrategyChange("BLUE_GREEN", canary_percent=5.0).deployment_configuration() == {
        "strategy": "BLUE_GREEN"
    }
