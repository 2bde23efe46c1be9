"""Translate one ECS container definition into what ``docker run`` needs.

Pure: no Docker calls, so the mapping from the task definition document (environment
list, port mappings, memory in MiB, cpu units, health check command forms) is tested
without an engine.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from typing import Any

from harness.docker_engine.containers import LABEL_PREFIX, TaskContainerSpec
from harness.ecs.scheduler.adoption_plan import FoundContainer

#: Label values every emulator task container carries (so orphans can be found).
EMULATOR_LABEL = "emulator"
TASK_ROLE = "task"
#: Which emulator process started a container: ``<hostname>:<pid>``.
OWNER_LABEL = "emulator-owner"
#: The task definition ARN the task runs, and when it started (epoch s): for adoption.
TASK_DEFINITION_LABEL = "task-definition"
STARTED_AT_LABEL = "started-at"
#: The deployment the task belongs to: a restarted emulator puts it back there.
DEPLOYMENT_LABEL = "deployment-id"


def emulator_owner() -> str:
    """``DRYDOCK_EMULATOR_OWNER`` when set (the compose emulator's stable identity across
    restarts), else this process: ``<hostname>:<pid>``."""
    return os.environ.get("DRYDOCK_EMULATOR_OWNER") or f"{socket.gethostname()}:{os.getpid()}"


def is_orphan(labels: Mapping[str, str], owner: str | None = None) -> bool:
    """Left by an emulator that is gone: an older one with no owner, or a dead process here.

    A live emulator's containers, on this host or another, are never someone else's
    orphans, so several emulators (two test sessions, a demo and a scenario) coexist.
    Only called when an emulator starts (and on its way out), so containers carrying
    its own identity (``owner``, default :func:`emulator_owner`) cannot be its current
    tasks.
    """
    mine = owner or emulator_owner()
    owner = labels.get(f"{LABEL_PREFIX}{OWNER_LABEL}")
    if not owner or owner == mine:
        # ours by identity, yet unknown to this (just started) emulator: a restart's leftovers
        return True
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def task_id(task_arn: str) -> str:
    """The last part of a task ARN, which AWS shows as the task ID."""
    return task_arn.rsplit("/", 1)[-1]


def found_container(container_id: str, running: bool, labels: Mapping[str, str]) -> FoundContainer:
    """What a restarted emulator needs to adopt a task container, read from its labels."""

    def label(key: str) -> str | None:
        return labels.get(f"{LABEL_PREFIX}{key}") or None

    started = label(STARTED_AT_LABEL)
    try:
        started_at = float(started) if started is not None else None
    except ValueError:
        started_at = None
    return FoundContainer(
        container_id=container_id,
        running=running,
        task_arn=label("task-arn"),
        cluster_arn=label("cluster"),
        service_name=label("service"),
        task_definition_arn=label(TASK_DEFINITION_LABEL),
        container_name=label("container"),
        started_at=started_at,
        deployment_id=label(DEPLOYMENT_LABEL),
    )


def container_spec(
    definition: dict[str, Any],
    *,
    task_arn: str,
    task_definition_arn: str,
    cluster_arn: str,
    group: str,
    network: str,
    project: str,
    stop_timeout_s: float,
    owner: str | None = None,
    started_at: float | None = None,
    deployment_id: str | None = None,
) -> TaskContainerSpec:
    """The container of ``definition`` for task ``task_arn`` (bridge-like networking).

    Only the first port mapping is published (on 127.0.0.1, dynamic host port): the
    serving tasks Drydock runs have one. ``cpu`` is in ECS units (1024 per vCPU). The
    task definition ARN and start time are labels so a restarted emulator can adopt it.
    """
    mappings = definition.get("portMappings") or []
    port = int(mappings[0]["containerPort"]) if mappings else 0
    memory = definition.get("memory") or definition.get("memoryReservation")
    cpu_units = definition.get("cpu")
    name = f"drydock-task-{task_id(task_arn)[:12]}-{definition['name']}"
    return TaskContainerSpec(
        name=name,
        image=definition["image"],
        container_port=port,
        network=network,
        environment={e["name"]: e.get("value", "") for e in definition.get("environment", [])},
        labels={
            "project": project,
            EMULATOR_LABEL: TASK_ROLE,
            OWNER_LABEL: owner or emulator_owner(),
            "cluster": cluster_arn,
            "service": group.removeprefix("service:"),
            "task-arn": task_arn,
            TASK_DEFINITION_LABEL: task_definition_arn,
            STARTED_AT_LABEL: f"{started_at if started_at is not None else time.time():.3f}",
            "container": definition["name"],
            **({DEPLOYMENT_LABEL: deployment_id} if deployment_id else {}),
        },
        stop_timeout_s=max(1, round(stop_timeout_s)),
        memory_mib=int(memory) if memory else None,
        cpus=int(cpu_units) / 1024 if cpu_units else None,
        entrypoint=definition.get("entryPoint"),
        command=definition.get("command"),
    )


def health_check_argv(command: tuple[str, ...], timeout_s: float) -> list[str]:
    """ECS ``healthCheck.command`` (``CMD`` / ``CMD-SHELL`` forms) as an exec argv.

    Wrapped in coreutils ``timeout`` so a hanging check counts as a failure, as in ECS.
    """
    if not command:
        raise ValueError("empty health check command")
    head, rest = command[0], list(command[1:])
    if head == "CMD-SHELL":
        argv = ["sh", "-c", " ".join(rest)]
    elif head == "CMD":
        argv = rest
    else:
        argv = list(command)
    return ["timeout", f"{max(timeout_s, 0.1):.2f}", *argv]
