from __future__ import annotations

import subprocess
from typing import Any

import pytest

from harness.errors import StackUnhealthyError
from harness.settings import DrydockSettings
from harness.stack.compose import ComposeProject


class FakeCompose:
    """Stands in for `docker compose`: `up` hangs, `ps` and `logs` describe a sick service."""

    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    def __call__(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.commands.append(command)
        verb = command[command.index("-p") + 2]
        if verb == "up":
            raise subprocess.TimeoutExpired(command, kwargs["timeout"])
        if verb == "ps":
            out = (
                '{"Service": "localstack", "State": "running", "Health": "starting"}\n'
                '{"Service": "registry", "State": "running", "Health": "healthy"}\n'
            )
            return subprocess.CompletedProcess(command, 0, out, "")
        if verb == "logs":
            return subprocess.CompletedProcess(command, 0, "boot\nS3 failed to bind\n", "")
        raise AssertionError(command)


def test_a_stack_that_is_not_healthy_in_time_names_the_service_and_its_last_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeCompose()
    monkeypatch.setattr(subprocess, "run", fake)
    project = ComposeProject(DrydockSettings(stack_timeout_s=7), {"DRYDOCK_X_IMAGE": "x:1"})

    with pytest.raises(StackUnhealthyError) as raised:
        project.up()

    message = str(raised.value)
    assert "not healthy within 7s" in message
    assert "localstack=starting" in message
    assert "S3 failed to bind" in message
    assert "registry=healthy" in message


def test_images_and_ports_reach_compose_through_the_environment() -> None:
    settings = DrydockSettings(localstack_port=14566, registry_port=15050)
    env = ComposeProject(settings, {"DRYDOCK_LOCALSTACK_IMAGE": "ls:1"}).environment()
    assert env["DRYDOCK_LOCALSTACK_IMAGE"] == "ls:1"
    assert env["DRYDOCK_LOCALSTACK_PORT"] == "14566"
    assert env["DRYDOCK_REGISTRY_PORT"] == "15050"
