"""Task placement on the one container instance this machine is: pure arithmetic.

ECS places a task on a container instance only where the instance's remaining CPU and
memory cover what the task reserves; when none can take it, the task waits and the
service reports "unable to place a task". The emulator has one instance, the Docker
Engine, whose capacity is what the engine reports less a margin for the local cloud
itself. Without this, a ``desiredCount`` inside AWS's quota (5,000 tasks) but past the
machine would start containers until the kernel killed something.

What a task reserves, as ECS computes it for the EC2 launch type: the task-level
``cpu``/``memory`` when set; otherwise the sum over its containers of ``cpu`` (0 when
unset) and ``memoryReservation`` (the soft limit, used for placement when present) or
else ``memory``. One departure: ECS refuses a task definition with no memory at
either level, the emulator accepts one, so such a container reserves
:data:`UNSPECIFIED_CONTAINER_MEMORY_MIB` here, keeping every task's reservation
above zero and the number of tasks that fit finite.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

#: ECS CPU units per vCPU.
CPU_UNITS_PER_VCPU = 1024
#: What a container with no memory at task or container level reserves (MiB).
UNSPECIFIED_CONTAINER_MEMORY_MIB = 128

Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True)
class Resources:
    """CPU units and memory (MiB): what a task reserves or an instance has."""

    cpu: int = 0
    memory: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.cpu + other.cpu, self.memory + other.memory)

    def __sub__(self, other: Resources) -> Resources:
        return Resources(self.cpu - other.cpu, self.memory - other.memory)

    def shortfall(self, need: Resources) -> str | None:
        """The resource, in ECS's words, that ``self`` (what remains) lacks for ``need``."""
        if need.memory > self.memory:
            return "memory"
        if need.cpu > self.cpu:
            return "CPU units"
        return None


def total(reservations: Iterable[Resources]) -> Resources:
    out = Resources()
    for r in reservations:
        out = out + r
    return out


def task_requirements(task_definition: Mapping[str, Any]) -> Resources:
    """What one task of ``task_definition`` (RegisterTaskDefinition's document) reserves."""
    containers = task_definition.get("containerDefinitions") or []
    cpu = _units(task_definition.get("cpu"), CPU_UNITS_PER_VCPU, "vcpu")
    if cpu is None:
        cpu = sum(_int(c.get("cpu")) or 0 for c in containers)
    memory = _units(task_definition.get("memory"), 1024, "gb")
    if memory is None:
        memory = sum(
            _int(c.get("memoryReservation"))
            or _int(c.get("memory"))
            or UNSPECIFIED_CONTAINER_MEMORY_MIB
            for c in containers
        )
    return Resources(cpu=cpu, memory=memory)


def engine_capacity(
    mem_total_bytes: int,
    ncpu: int,
    *,
    margin_mib: int,
    memory_mib: int | None = None,
    cpu_units: int | None = None,
) -> Resources:
    """The instance's registered resources: what the Docker Engine reports (``docker
    info``'s MemTotal and NCPU) less ``margin_mib`` for the local cloud itself, unless
    ``memory_mib`` / ``cpu_units`` say otherwise."""
    memory = memory_mib if memory_mib is not None else mem_total_bytes // 2**20 - margin_mib
    cpu = cpu_units if cpu_units is not None else ncpu * CPU_UNITS_PER_VCPU
    return Resources(cpu=max(0, cpu), memory=max(0, memory))


def place(
    waiting: Sequence[tuple[Key, Resources]], remaining: Resources
) -> tuple[list[Key], dict[Key, str]]:
    """Which waiting tasks fit now, in order, and why each other one does not.

    Each is tried in turn against what the earlier ones left, so a large task that does
    not fit does not hold back a smaller one behind it (ECS places each task on its own).
    """
    placed: list[Key] = []
    refused: dict[Key, str] = {}
    for key, need in waiting:
        short = remaining.shortfall(need)
        if short is None:
            placed.append(key)
            remaining = remaining - need
        else:
            refused[key] = short
    return placed, refused


_UNIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def _units(value: Any, per_unit: int, unit: str) -> int | None:
    """ECS's task-level strings: "512" (plain units) or "1 vCPU" / "2 GB"."""
    if value is None or value == "":
        return None
    match = _UNIT.match(str(value))
    if match is None:
        return None
    number, suffix = float(match.group(1)), match.group(2).lower()
    if suffix == unit:
        return int(number * per_unit)
    return int(number) if not suffix else None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
