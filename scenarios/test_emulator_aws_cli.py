"""The AWS CLI, a second client, drives the emulator as it would drive ECS.

Every call is ``aws --endpoint-url <emulator> ecs ...`` in a subprocess with dummy
credentials and an empty config, so nothing depends on boto3 objects in this process.
The service has no load balancer: a task counts healthy 40 s (2 s scaled) after RUNNING.
``aws ecs wait services-stable`` polls every 15 s (fixed by the waiter), so the scenario
waits on it once, after a forced new deployment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.testing import Isolation, LocalCloud
from harness.testing.clients import aws_cli

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]


def _aws(emulator: Emulator, home: Path, *args: str, timeout_s: float = 240) -> Any:
    """The kit's AWS CLI runner; every call here must succeed."""
    code, answer, err = aws_cli(emulator, home, *args, timeout_s=timeout_s)
    assert code == 0, f"aws {' '.join(args)}: {err}"
    return answer


def test_aws_cli_creates_updates_and_waits_for_a_stable_service(
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
    drydock_cloud: LocalCloud,
    tmp_path: Path,
) -> None:
    names, cli = drydock_isolation, drydock_emulator
    definition = tmp_path / "containers.json"
    definition.write_text(
        json.dumps(
            [
                {
                    "name": "serving",
                    "image": drydock_serving_image.by_digest,
                    "memory": 256,
                    "essential": True,
                    "portMappings": [{"containerPort": 8080}],
                    "environment": [{"name": "DRYDOCK_MODEL_URI", "value": "file:///nonexistent"}],
                    "entryPoint": ["/opt/venv/bin/python", "-c", "import time; time.sleep(600)"],
                    "stopTimeout": 2,
                }
            ]
        )
    )
    _aws(cli, tmp_path, "ecs", "create-cluster", "--cluster-name", names.cluster_name)
    registered = _aws(
        cli,
        tmp_path,
        "ecs",
        "register-task-definition",
        "--family",
        names.family,
        "--container-definitions",
        f"file://{definition}",
    )
    arn = registered["taskDefinition"]["taskDefinitionArn"]
    assert arn.endswith(f"{names.family}:1")
    _aws(
        cli,
        tmp_path,
        "ecs",
        "create-service",
        "--cluster",
        names.cluster_name,
        "--service-name",
        names.service_name,
        "--task-definition",
        names.family,
        "--desired-count",
        "2",
    )
    updated = _aws(
        cli,
        tmp_path,
        "ecs",
        "update-service",
        "--cluster",
        names.cluster_name,
        "--service",
        names.service_name,
        "--force-new-deployment",
    )
    assert len(updated["service"]["deployments"]) >= 1
    _aws(
        cli,
        tmp_path,
        "ecs",
        "wait",
        "services-stable",
        "--cluster",
        names.cluster_name,
        "--services",
        names.service_name,
    )
    described = _aws(
        cli,
        tmp_path,
        "ecs",
        "describe-services",
        "--cluster",
        names.cluster_name,
        "--services",
        names.service_name,
    )
    service = described["services"][0]
    assert service["runningCount"] == service["desiredCount"] == 2
    assert [d["status"] for d in service["deployments"]] == ["PRIMARY"]
    assert service["deployments"][0]["id"] == updated["service"]["deployments"][0]["id"]
    tasks = _aws(
        cli,
        tmp_path,
        "ecs",
        "list-tasks",
        "--cluster",
        names.cluster_name,
        "--service-name",
        names.service_name,
    )
    assert len(tasks["taskArns"]) == 2
    _aws(
        cli,
        tmp_path,
        "ecs",
        "delete-service",
        "--cluster",
        names.cluster_name,
        "--service",
        names.service_name,
        "--force",
    )
