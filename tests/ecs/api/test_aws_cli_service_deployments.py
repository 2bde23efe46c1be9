"""The pinned AWS CLI reads and stops service deployments on the emulator at 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.ecs.domain import ServiceDeploymentStatus, StopType
from tests.ecs.controllable_scheduler import ControllableScheduler, controllable_plane


@pytest.fixture
def plane() -> ControlPlane:
    return controllable_plane()


@pytest.fixture
def server(plane: ControlPlane) -> Iterator[ApiServer]:
    with ApiServer(plane) as srv:
        yield srv


def aws(server: ApiServer, *args: str) -> tuple[int, Any, str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PAGER": "",
    }
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("aws")),
            "--endpoint-url",
            server.endpoint_url,
            "--output",
            "json",
            "ecs",
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else None, done.stderr


def test_aws_cli_lists_describes_and_stops_service_deployments(
    server: ApiServer, plane: ControlPlane
) -> None:
    assert aws(server, "create-cluster", "--cluster-name", "c")[0] == 0
    assert (
        aws(
            server,
            "register-task-definition",
            "--family",
            "web",
            "--container-definitions",
            '[{"name": "app", "image": "app:1"}]',
        )[0]
        == 0
    )
    code, _, err = aws(
        server,
        "create-service",
        "--cluster",
        "c",
        "--service-name",
        "web",
        "--task-definition",
        "web",
        "--desired-count",
        "1",
    )
    assert code == 0, err

    code, listed, err = aws(
        server, "list-service-deployments", "--cluster", "c", "--service", "web"
    )
    assert code == 0, err
    (brief,) = listed["serviceDeployments"]
    assert brief["status"] == "SUCCESSFUL"
    arn = brief["serviceDeploymentArn"]

    code, described, err = aws(
        server, "describe-service-deployments", "--service-deployment-arns", arn
    )
    assert code == 0, err
    assert (
        described["serviceDeployments"][0]["targetServiceRevision"]["arn"]
        == (brief["targetServiceRevisionArn"])
    )
    assert described["serviceDeployments"][0]["deploymentConfiguration"]["strategy"] == "ROLLING"

    code, _, err = aws(server, "stop-service-deployment", "--service-deployment-arn", arn)
    assert code != 0 and "ConflictException" in err  # finished: nothing to stop

    plane.services.find(
        "c", "web"
    ).handle.service.primary.lifecycle.status = ServiceDeploymentStatus.IN_PROGRESS
    code, stopped, err = aws(
        server, "stop-service-deployment", "--service-deployment-arn", arn, "--stop-type", "ABORT"
    )
    assert code == 0, err
    assert stopped == {"serviceDeploymentArn": arn}
    assert ControllableScheduler.calls == [("stop", StopType.ABORT)]
