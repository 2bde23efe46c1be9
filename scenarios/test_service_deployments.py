"""Service deployments of a real ROLLING rollout, read with the AWS CLI.

The emulator's real scheduler rolls task containers; ``aws ecs list-service-deployments``
/ ``describe-service-deployments`` / ``describe-service-revisions`` show the deployment
in progress and then SUCCESSFUL, from its source revision to its target revision, and
``stop-service-deployment`` on a finished one is refused as AWS refuses it. The service
has no load balancer: a task counts healthy 40 s (2 s scaled) after RUNNING.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.testing import Isolation
from harness.testing.clients import aws_cli, aws_client

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]


def _aws(emulator: Emulator, home: Path, *args: str) -> tuple[int, Any, str]:
    return aws_cli(emulator, home, "ecs", *args)


def _ok(emulator: Emulator, home: Path, *args: str) -> Any:
    code, out, err = _aws(emulator, home, *args)
    assert code == 0, f"aws ecs {' '.join(args)}: {err}"
    return out


def _wait_completed(ecs: Any, cluster: str, service: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
        states = [(d["status"], d["rolloutState"]) for d in found["deployments"]]
        if states == [("PRIMARY", "COMPLETED")]:
            return
        time.sleep(0.3)
    raise AssertionError(f"{service} did not complete its deployment: {states}")


def test_a_rolling_rollout_is_a_service_deployment_the_aws_cli_reads(
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
    tmp_path: Path,
) -> None:
    names, cli = drydock_isolation, drydock_emulator
    cluster, service = names.cluster_name, names.service_name
    ecs = aws_client("ecs", cli)
    image = drydock_serving_image.by_digest
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(
        family=names.family,
        containerDefinitions=[
            {
                "name": "serving",
                "image": image,
                "memory": 256,
                "essential": True,
                "entryPoint": ["/opt/venv/bin/python", "-c", "import time; time.sleep(600)"],
                "stopTimeout": 2,
            }
        ],
    )
    ecs.create_service(
        cluster=cluster, serviceName=service, taskDefinition=names.family, desiredCount=1
    )
    try:
        _wait_completed(ecs, cluster, service)
        listed = _ok(cli, tmp_path, "list-service-deployments", "--cluster", cluster,
                     "--service", service)["serviceDeployments"]  # fmt: skip
        assert [d["status"] for d in listed] == ["SUCCESSFUL"]
        first = listed[0]

        ecs.update_service(cluster=cluster, service=service, forceNewDeployment=True)
        # boto3 here: the CLI takes about as long to start as the new task to get healthy
        listed = ecs.list_service_deployments(
            cluster=cluster, service=service, status=["IN_PROGRESS"]
        )["serviceDeployments"]
        assert len(listed) == 1, "the forced deployment is in progress while its task starts"
        arn = listed[0]["serviceDeploymentArn"]
        shown = ecs.describe_service_deployments(serviceDeploymentArns=[arn])
        shown = shown["serviceDeployments"][0]
        assert shown["status"] == "IN_PROGRESS"
        assert shown["sourceServiceRevisions"][0]["arn"] == first["targetServiceRevisionArn"]
        assert shown["deploymentConfiguration"]["strategy"] == "ROLLING"

        _wait_completed(ecs, cluster, service)
        shown = _ok(cli, tmp_path, "describe-service-deployments",
                    "--service-deployment-arns", arn)["serviceDeployments"][0]  # fmt: skip
        assert shown["status"] == "SUCCESSFUL"
        assert shown["targetServiceRevision"]["runningTaskCount"] == 1
        revisions = _ok(cli, tmp_path, "describe-service-revisions", "--service-revision-arns",
                        shown["targetServiceRevision"]["arn"])["serviceRevisions"]  # fmt: skip
        assert revisions[0]["containerImages"] == [{"containerName": "serving", "image": image}]
        code, _, err = _aws(cli, tmp_path, "stop-service-deployment",
                            "--service-deployment-arn", arn)  # fmt: skip
        assert code != 0 and "ConflictException" in err
    finally:
        ecs.delete_service(cluster=cluster, service=service, force=True)
