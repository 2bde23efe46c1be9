"""The emulator's memory across restarts: a journal of the API calls that change state.

ECS keeps clusters, task definitions and services when its control plane restarts;
the emulator's state is in memory, so every successful mutating call is appended to
a JSON-lines file and replayed into a fresh control plane at start. Tasks are not
journaled: their containers carry what identifies them (labels), so the restarted
emulator adopts the ones still running (``emulator.restart_adoption``) and the scheduler
replaces the rest, as ECS replaces tasks it lost. ELB ARNs are derived from names
(``arns``), so replayed references hold. ECR repositories are journaled too; their
images live in the registry, which keeps them itself, so a replay never touches it.

Deployments keep their identity too: CreateService/UpdateService lines carry the id
of the deployment they made, primed into the scheduler's id source on replay
(:class:`~harness.ecs.scheduler.ids.ReplayedIds`), and a ``deployment_completed``
line (from the service events) restores COMPLETED, which the circuit breaker needs
to roll back to after a restart.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from harness.ecs.control_plane.ecr import ECR_MUTATIONS, ECR_OPERATIONS
from harness.ecs.control_plane.ecs_operations import ECS_OPERATIONS
from harness.ecs.control_plane.elbv2_operations import ELBV2_OPERATIONS
from harness.ecs.control_plane.errors import ControlPlaneError
from harness.ecs.control_plane.plane import ControlPlane, Operation
from harness.ecs.events import DeploymentCompleted, ServiceEventBase
from harness.ecs.scheduler.ids import ReplayedIds

log = logging.getLogger(__name__)

_BY_NAME: dict[str, Operation] = {
    op.__name__: op
    for op in (*ECS_OPERATIONS.values(), *ELBV2_OPERATIONS.values(), *ECR_OPERATIONS.values())
}

#: Calls whose effect must survive a restart (reads, StopTask and targets do not).
MUTATIONS = frozenset(
    {
        "create_cluster",
        "delete_cluster",
        "register_task_definition",
        "deregister_task_definition",
        "create_service",
        "update_service",
        "delete_service",
        "create_load_balancer",
        "create_target_group",
        "delete_target_group",
        "modify_target_group_attributes",
        "create_listener",
    }
    | ECR_MUTATIONS
)


#: Calls that make a deployment: their line carries its id.
DEPLOYING = frozenset({"create_service", "update_service"})
COMPLETED = "deployment_completed"


def _primary_id(output: dict[str, Any] | None) -> str | None:
    deployments = ((output or {}).get("service") or {}).get("deployments") or []
    return next((d.get("id") for d in deployments if d.get("status") == "PRIMARY"), None)


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(
        self, operation: Operation, request: dict[str, Any], output: dict[str, Any] | None = None
    ) -> None:
        if operation.__name__ not in MUTATIONS:
            return
        entry: dict[str, Any] = {"op": operation.__name__, "request": request}
        deployment_id = _primary_id(output) if operation.__name__ in DEPLOYING else None
        if deployment_id:
            entry["deploymentId"] = deployment_id
        self._append(entry)

    def record_event(self, event: ServiceEventBase) -> None:
        """Subscribe to the service events: completions are kept (see the module doc)."""
        if isinstance(event, DeploymentCompleted):
            self._append({"op": COMPLETED, "deploymentId": event.deployment_id})

    def _append(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, default=str)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as journal:
                journal.write(line + "\n")

    def replay(self, control_plane: ControlPlane, ids: ReplayedIds | None = None) -> int:
        """Apply every recorded call to ``control_plane`` (which must not record yet).

        ``ids``: the id source its schedulers draw from, to give deployments their ids back.
        """
        if not self.path.exists():
            return 0
        with control_plane.ecr.replay():  # the registry keeps its own state
            return self._apply(control_plane, ids)

    def _apply(self, control_plane: ControlPlane, ids: ReplayedIds | None) -> int:
        applied = 0
        for number, line in enumerate(self.path.read_text().splitlines(), start=1):
            try:
                entry = json.loads(line)
                if entry["op"] == COMPLETED:
                    _restore_completed(control_plane, entry["deploymentId"])
                    applied += 1
                    continue
                if ids is not None and entry.get("deploymentId"):
                    ids.prime(entry["deploymentId"])
                try:
                    control_plane.call(_BY_NAME[entry["op"]], entry["request"])
                finally:
                    if ids is not None:
                        ids.clear()
                applied += 1
            except (ValueError, KeyError) as exc:
                log.warning("journal %s line %d unreadable, skipped: %s", self.path, number, exc)
            except ControlPlaneError as exc:
                log.warning("journal %s line %d no longer applies: %s", self.path, number, exc)
        return applied


def _restore_completed(control_plane: ControlPlane, deployment_id: str) -> None:
    with control_plane.lock:
        for handle in control_plane.schedulers():
            if handle.restore_completed(deployment_id):
                return
    log.warning("journal: completed deployment %s is no service's PRIMARY now", deployment_id)
