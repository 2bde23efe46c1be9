"""From an ECS container definition to ``docker run`` arguments (no engine needed)."""

from __future__ import annotations

import pytest

from harness.ecs.runtime.task_containers import (
    container_spec,
    found_container,
    health_check_argv,
    task_id,
)

ARN = "arn:aws:ecs:us-east-1:000000000000:task/prod/0123456789abcdef0123456789abcdef"
TD_ARN = "arn:aws:ecs:us-east-1:000000000000:task-definition/model:3"


def test_container_spec_maps_environment_ports_limits_and_labels() -> None:
    spec = container_spec(
        {
            "name": "serving",
            "image": "127.0.0.1:5050/s@sha256:ab",
            "memory": 512,
            "cpu": 512,
            "portMappings": [{"containerPort": 8080}],
            "environment": [{"name": "A", "value": "1"}, {"name": "B"}],
        },
        task_arn=ARN,
        task_definition_arn=TD_ARN,
        cluster_arn="arn:cluster/prod",
        group="service:model",
        network="drydock_cloud",
        project="drydock",
        stop_timeout_s=1.5,
        owner="compose:drydock",
        started_at=1700000000.5,
    )
    assert spec.image == "127.0.0.1:5050/s@sha256:ab"
    assert spec.container_port == 8080 and spec.host_ip == "127.0.0.1"
    assert spec.environment == {"A": "1", "B": ""}
    assert (spec.memory_mib, spec.cpus, spec.stop_timeout_s) == (512, 0.5, 2)
    assert spec.labels["task-arn"] == ARN and spec.labels["service"] == "model"
    assert spec.labels["emulator"] == "task" and spec.labels["project"] == "drydock"
    assert task_id(ARN) in spec.name or task_id(ARN)[:12] in spec.name
    assert spec.labels["emulator-owner"] == "compose:drydock"


def test_labels_carry_what_a_restarted_emulator_needs_to_adopt_the_task() -> None:
    spec = container_spec(
        {"name": "serving", "image": "img", "portMappings": [{"containerPort": 8080}]},
        task_arn=ARN,
        task_definition_arn=TD_ARN,
        cluster_arn="arn:cluster/prod",
        group="service:model",
        network="n",
        project="drydock",
        stop_timeout_s=2,
        started_at=1700000000.5,
    )
    labels = {f"drydock.{key}": value for key, value in spec.labels.items()}

    found = found_container("c1", True, labels)

    assert (found.task_arn, found.task_definition_arn) == (ARN, TD_ARN)
    assert (found.cluster_arn, found.service_name) == ("arn:cluster/prod", "model")
    assert (found.container_name, found.started_at) == ("serving", 1700000000.5)


def test_a_container_without_adoption_labels_reads_as_unknown() -> None:
    found = found_container("c1", True, {"drydock.task-arn": ARN, "drydock.started-at": "x"})

    assert found.task_arn == ARN
    assert found.task_definition_arn is None and found.started_at is None


def test_entry_point_and_command_override_the_image_only_when_given() -> None:
    base = {"name": "serving", "image": "img", "portMappings": [{"containerPort": 8080}]}
    kwargs = {
        "task_arn": ARN,
        "task_definition_arn": TD_ARN,
        "cluster_arn": "c",
        "group": "service:s",
        "network": "n",
        "project": "drydock",
        "stop_timeout_s": 2,
    }

    plain = container_spec(base, **kwargs)
    custom = container_spec(
        {**base, "entryPoint": ["/bin/sh", "-c"], "command": ["sleep 600"]}, **kwargs
    )

    assert (plain.entrypoint, plain.command) == (None, None)
    assert (custom.entrypoint, custom.command) == (["/bin/sh", "-c"], ["sleep 600"])


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        (
            ("CMD-SHELL", "curl -f http://localhost/ || exit 1"),
            ["sh", "-c", "curl -f http://localhost/ || exit 1"],
        ),
        (("CMD", "python3", "-c", "pass"), ["python3", "-c", "pass"]),
    ],
)
def test_health_check_commands_run_under_a_timeout(
    command: tuple[str, ...], argv: list[str]
) -> None:
    assert health_check_argv(command, 0.25) == ["timeout", "0.25", *argv]


def test_an_empty_health_check_is_refused() -> None:
    with pytest.raises(ValueError):
        health_check_argv((), 1.0)


def test_only_containers_of_a_dead_local_emulator_are_orphans() -> None:
    import os
    import socket
    import subprocess

    from harness.ecs.runtime.task_containers import OWNER_LABEL, emulator_owner, is_orphan

    key = f"drydock.{OWNER_LABEL}"
    finished = subprocess.Popen(["true"])
    finished.wait()
    host = socket.gethostname()

    assert is_orphan({key: emulator_owner()}), "a restarted emulator's own leftovers"
    assert not is_orphan({key: f"{host}:{os.getppid()}"})
    assert is_orphan({key: f"{host}:{finished.pid}"})
    assert not is_orphan({key: f"another-host:{finished.pid}"})
    assert is_orphan({})
