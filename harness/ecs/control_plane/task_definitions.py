"""Task definitions: immutable, revisioned documents, never lost.

Each RegisterTaskDefinition in a family gets the next revision (1, 2, ...), even after
deregistration; deregistered revisions turn INACTIVE but stay describable, so a
rollback can always name the exact previous revision.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harness.ecs.control_plane import arns
from harness.ecs.control_plane.errors import ClientException

_FAMILY_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_REF_RE = re.compile(r"^(?P<family>[A-Za-z0-9_-]{1,255})(?::(?P<revision>\d+))?$")

#: Request members copied verbatim into the stored document (the TaskDefinition shape).
_DOCUMENT_MEMBERS = (
    "containerDefinitions",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
    "enableFaultInjection",
)


@dataclass
class TaskDefinition:
    family: str
    revision: int
    document: dict[str, Any]
    registered_at: datetime
    status: str = "ACTIVE"
    deregistered_at: datetime | None = None
    tags: list[dict[str, str]] = field(default_factory=list)

    @property
    def arn(self) -> str:
        return arns.task_definition_arn(self.family, self.revision)

    @property
    def container_definitions(self) -> list[dict[str, Any]]:
        return self.document.get("containerDefinitions", [])

    def container(self, name: str) -> dict[str, Any] | None:
        return next((c for c in self.container_definitions if c.get("name") == name), None)

    def describe(self) -> dict[str, Any]:
        """The ``TaskDefinition`` output shape (a deep copy: callers may not mutate state)."""
        out = copy.deepcopy(self.document)
        out.update(
            taskDefinitionArn=self.arn,
            family=self.family,
            revision=self.revision,
            status=self.status,
            compatibilities=["EC2", "FARGATE"],
            requiresAttributes=[],
            registeredAt=self.registered_at,
            registeredBy=f"arn:aws:iam::{arns.ACCOUNT_ID}:root",
        )
        out.setdefault("networkMode", "bridge")
        out.setdefault("volumes", [])
        out.setdefault("placementConstraints", [])
        if self.deregistered_at is not None:
            out["deregisteredAt"] = self.deregistered_at
        return out


class TaskDefinitionRegistry:
    """All revisions of all families. Locking is the ControlPlane's job."""

    def __init__(self) -> None:
        self._families: dict[str, list[TaskDefinition]] = {}

    def register(self, request: dict[str, Any], now: datetime) -> TaskDefinition:
        family = request["family"]
        if not _FAMILY_RE.match(family):
            raise ClientException(
                f"Family '{family}' is invalid: up to 255 letters (uppercase and lowercase), "
                "numbers, underscores, and hyphens are allowed."
            )
        containers = request.get("containerDefinitions") or []
        if not containers:
            raise ClientException("Container list cannot be empty.")
        names = [c.get("name") for c in containers]
        if any(not n for n in names):
            raise ClientException("Container.name should not be null or empty.")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ClientException(f"Duplicate container names are not allowed: {duplicates}.")
        if not any(c.get("essential", True) for c in containers):
            raise ClientException("Task definition must have at least one essential container.")
        document = {k: copy.deepcopy(request[k]) for k in _DOCUMENT_MEMBERS if k in request}
        for container in document["containerDefinitions"]:
            container.setdefault("essential", True)
            container.setdefault("portMappings", [])
            container.setdefault("environment", [])
            container.setdefault("mountPoints", [])
            container.setdefault("volumesFrom", [])
        revisions = self._families.setdefault(family, [])
        definition = TaskDefinition(
            family=family,
            revision=len(revisions) + 1,
            document=document,
            registered_at=now,
            tags=list(request.get("tags", [])),
        )
        revisions.append(definition)
        return definition

    def resolve(self, reference: str) -> TaskDefinition:
        """``family`` (latest ACTIVE), ``family:revision`` or a full ARN -> the revision.

        An unknown reference is ECS's ``ClientException: Unable to describe task
        definition.``; we add which reference it was, since that is what users need.
        """
        text = (
            reference.split(":task-definition/", 1)[1]
            if reference.startswith("arn:") and (":task-definition/" in reference)
            else reference
        )
        match = _REF_RE.match(text)
        revisions = self._families.get(match["family"], []) if match else []
        found: TaskDefinition | None = None
        if match and match["revision"] is not None:
            index = int(match["revision"]) - 1
            found = revisions[index] if 0 <= index < len(revisions) else None
        elif match:
            active = [d for d in revisions if d.status == "ACTIVE"]
            found = active[-1] if active else None
        if found is None:
            raise ClientException(f"Unable to describe task definition. ('{reference}' not found)")
        return found

    def deregister(self, reference: str, now: datetime) -> TaskDefinition:
        if ":" not in reference.split("/")[-1]:
            raise ClientException(
                "Invalid revision number. A revision is required: use family:revision "
                f"or the full ARN, not '{reference}'."
            )
        definition = self.resolve(reference)
        if definition.status == "ACTIVE":
            definition.status = "INACTIVE"
            definition.deregistered_at = now
        return definition

    def list_arns(
        self, family_prefix: str | None, status: str | None, descending: bool
    ) -> list[str]:
        """ARNs sorted by family then revision, as ListTaskDefinitions returns them."""
        wanted = status or "ACTIVE"
        found = [
            d
            for family in sorted(self._families)
            if not family_prefix or family.startswith(family_prefix)
            for d in self._families[family]
            if wanted == "ALL" or d.status == wanted
        ]
        if descending:
            found.reverse()
        return [d.arn for d in found]

    def families(self, family_prefix: str | None, status: str | None) -> list[str]:
        wanted = status or "ACTIVE"
        return [
            f
            for f, revisions in sorted(self._families.items())
            if (not family_prefix or f.startswith(family_prefix))
            and (
                wanted == "ALL"
                or any(d.status == wanted for d in revisions)
                or (wanted == "INACTIVE" and all(d.status == "INACTIVE" for d in revisions))
            )
        ]
