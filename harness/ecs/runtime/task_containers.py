"""Translate one ECS container definition into what ``docker run`` needs.

Pure: no Docker calls, so the mapping from the task definition document (environment
list, port mappings, memory in MiB, cpu units, health check command forms) is tested
without an engine.
"""

from __future__ import annotations

from typing import Any

from harness.ecs.runtime.containers import TaskContainerSpec

#: Label values every emulator task container carries (so orphans can be found).
EMULATOR_LABEL = "emulator"
TASK_ROLE = "task"


def task_id(task_arn: str) -> str:
    """The last part of a task ARN, which AWS shows as the task ID."""
    return task_arn.rsplit("/", 1)[-1]


def container_spec(
    definition: dict[str, Any],
    *,
    task_arn: str,
    cluster_arn: str,
    group: str,
    network: str,
    project: str,
    stop_timeout_s: float,
) -> TaskContainerSpec:
    """The container of ``definition`` for task ``task_arn`` (bridge-like networking).

    Only the first port mapping is published (on 127.0.0.1, dynamic host port): the
    serving tasks Drydock runs have one. ``cpu`` is in ECS units (1024 per vCPU).
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
            "cluster": cluster_arn,
            "service": group.removeprefix("service:"),
            "task-arn": task_arn,
            "container": definition["name"],
        },
        stop_timeout_s=max(1, round(stop_timeout_s)),
        memory_mib=int(memory) if memory else None,
        cpus=int(cpu_units) / 1024 if cpu_units else None,
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
