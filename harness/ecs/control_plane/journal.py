"""The emulator's memory across restarts: a journal of the API calls that change state.

ECS keeps clusters, task definitions and services when its control plane restarts;
the emulator's state is in memory, so every successful mutating call is appended to
a JSON-lines file and replayed into a fresh control plane at start. Tasks are not
journaled: their containers carry what identifies them (labels), so the restarted
emulator adopts the ones still running (``emulator.restart_adoption``) and the scheduler
replaces the rest, as ECS replaces tasks it lost. ELB ARNs are derived from names
(``arns``), so replayed references hold. ECR repositories are journaled too; their
images live in the registry, which keeps them itself, so a replay never touches it.
CloudWatch's alarms are journaled (PutMetricAlarm, DeleteAlarms); their states are
evaluated again from the metrics, which are not kept.

Deployments keep their identity too: CreateService/UpdateService lines carry the id
of the deployment they made, primed into the scheduler's id source on replay
(:class:`~harness.ecs.scheduler.ids.ReplayedIds`), and a ``deployment_completed``
line (from the service events) restores COMPLETED, which the circuit breaker needs
to roll back to after a restart. A ``service_deployment_outcome`` line keeps how any
other service deployment ended (ROLLBACK_SUCCESSFUL, STOPPED ...) for
DescribeServiceDeployments (``service_deployment_operations.keep_outcomes``). A
``target_group_roles`` line keeps which target group of each blue/green pair a completed
deployment made production (``scheduler.target_group_roles``), so adopted tasks and the
next deployment use the group the production listener rule forwards to. A
``deployment_rolled_back`` line (from ``RollingBack``) keeps a rollback (circuit breaker,
alarm, hook, StopServiceDeployment): replayed, the rolled-back deployment is no longer
PRIMARY and the service is on its target's revision again, so a restart does not deploy
the bad revision a second time.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from harness.ecs.control_plane.cloudwatch import CLOUDWATCH_MUTATIONS, CLOUDWATCH_OPERATIONS
from harness.ecs.control_plane.ecr import ECR_MUTATIONS, ECR_OPERATIONS
from harness.ecs.control_plane.ecs_operations import ECS_OPERATIONS
from harness.ecs.control_plane.elbv2_operations import ELBV2_INTERNAL_OPERATIONS, ELBV2_OPERATIONS
from harness.ecs.control_plane.errors import ControlPlaneError
from harness.ecs.control_plane.plane import ControlPlane, Operation
from harness.ecs.control_plane.service_deployments import Outcome
from harness.ecs.domain import ServiceDeploymentStatus
from harness.ecs.events import (
    DeploymentCompleted,
    RollingBack,
    ServiceEventBase,
    TargetGroupRolesSwapped,
)
from harness.ecs.scheduler.ids import ReplayedIds
from harness.ecs.scheduler.target_group_roles import with_production

log = logging.getLogger(__name__)

_BY_NAME: dict[str, Operation] = {
    op.__name__: op
    for op in (
        *ECS_OPERATIONS.values(),
        *ELBV2_OPERATIONS.values(),
        *ECR_OPERATIONS.values(),
        *ELBV2_INTERNAL_OPERATIONS,
        *CLOUDWATCH_OPERATIONS.values(),
    )
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
        "modify_listener",
        "create_rule",
        "modify_rule",
        "delete_rule",
        "set_rule_priorities",
        "set_forward_weights",
    }
    | ECR_MUTATIONS
    | CLOUDWATCH_MUTATIONS
)


#: Calls that make a deployment: their line carries its id.
DEPLOYING = frozenset({"create_service", "update_service"})
COMPLETED = "deployment_completed"
#: A completed blue/green deployment swapped its service's target group roles.
ROLES = "target_group_roles"
OUTCOME = "service_deployment_outcome"
#: A deployment was rolled back to an earlier one.
ROLLED_BACK = "deployment_rolled_back"


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
        if isinstance(event, TargetGroupRolesSwapped):
            production = list(event.production)
            self._append(
                {"op": ROLES, "deploymentId": event.deployment_id, "production": production}
            )
        if isinstance(event, RollingBack):
            self._append(
                {
                    "op": ROLLED_BACK,
                    "failedDeploymentId": event.failed_deployment_id,
                    "deploymentId": event.rollback_deployment_id,
                }
            )

    def record_outcome(self, arn: str, outcome: Outcome) -> None:
        """A service deployment finished: keep how (see the module doc)."""
        self._append(
            {
                "op": OUTCOME,
                "arn": arn,
                "status": str(outcome.status),
                "reason": outcome.reason,
                "finishedAt": outcome.finished_at,
            }
        )

    def _append(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, default=str)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as journal:
                journal.write(line + "\n")

    def replay(self, control_plane: ControlPlane, ids: ReplayedIds | None = None) -> int:
        """Apply every recorded call to ``control_plane`` (which must not record yet).

        ``ids``: the id source its schedulers draw from, to give deployments their ids back.

        A restart must never be the thing that fails: a line that is unreadable or that
        the control plane now refuses (a quota lowered since, a bug fixed) is skipped; a
        line that fails in any other way stops the replay there, since later calls may
        depend on it. Either way the journal is reported and set aside (renamed, kept
        for a post-mortem) and rewritten with the calls that did apply, so the next
        restart neither replays a refused call nor trips on the same line again.
        """
        if not self.path.exists():
            return 0
        applied: list[str] = []
        trouble: list[str] = []
        try:
            with (
                control_plane.ecr.replay(),  # the registry keeps its own state
                self.path.open(encoding="utf-8", errors="replace") as journal,
            ):
                for number, line in enumerate(journal, start=1):
                    if not line.strip():
                        continue
                    outcome = self._apply(control_plane, line, ids)
                    if outcome is None:
                        applied.append(line.rstrip("\n"))
                        continue
                    trouble.append(f"line {number}: {outcome}")
                    if outcome.startswith(_FATAL):
                        break
        except OSError as exc:
            trouble.append(f"unreadable: {exc}")
        if trouble:
            self._set_aside(applied, trouble)
        return len(applied)

    @staticmethod
    def _apply(control_plane: ControlPlane, line: str, ids: ReplayedIds | None) -> str | None:
        """None when ``line`` applied; else why not (``_FATAL`` first: stop replaying)."""
        try:
            entry = json.loads(line)
            if entry["op"] == COMPLETED:
                _restore_completed(control_plane, entry["deploymentId"])
                return None
            if entry["op"] == ROLLED_BACK:
                _restore_rolled_back(
                    control_plane, entry["failedDeploymentId"], entry["deploymentId"]
                )
                return None
            if entry["op"] == ROLES:
                _restore_roles(control_plane, entry["deploymentId"], entry["production"])
                return None
            if entry["op"] == OUTCOME:
                outcome = Outcome(
                    ServiceDeploymentStatus(entry["status"]), entry["reason"], entry["finishedAt"]
                )
                control_plane.service_deployments.restore_outcome(entry["arn"], outcome)
                return None
            operation = _BY_NAME[entry["op"]]
            if ids is not None and entry.get("deploymentId"):
                ids.prime(entry["deploymentId"])
            try:
                control_plane.call(operation, entry["request"])
            finally:
                if ids is not None:
                    ids.clear()
        except ControlPlaneError as exc:
            return f"refused now ({type(exc).__name__}: {exc.message})"
        except (ValueError, KeyError, TypeError) as exc:
            return f"unreadable ({type(exc).__name__}: {exc})"
        except Exception as exc:  # a replay must not take the emulator down
            return f"{_FATAL} ({type(exc).__name__}: {exc})"
        return None

    def _set_aside(self, applied: list[str], trouble: list[str]) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        aside = self.path.with_name(f"{self.path.name}.set-aside-{stamp}")
        log.warning(
            "journal %s could not be replayed in full (%s); set aside as %s, "
            "kept the %d call(s) that applied",
            self.path,
            "; ".join(trouble[:5]) + (f"; and {len(trouble) - 5} more" if len(trouble) > 5 else ""),
            aside,
            len(applied),
        )
        with self._lock:
            try:
                self.path.replace(aside)
                self.path.write_text("".join(line + "\n" for line in applied))
            except OSError as exc:
                log.error("journal %s could not be set aside: %s", self.path, exc)


#: How :meth:`Journal._apply` marks a failure that stops the replay.
_FATAL = "failed"


def _restore_completed(control_plane: ControlPlane, deployment_id: str) -> None:
    with control_plane.lock:
        for handle in control_plane.schedulers():
            if handle.restore_completed(deployment_id):
                return
    log.warning("journal: completed deployment %s is no service's PRIMARY now", deployment_id)


def _restore_rolled_back(control_plane: ControlPlane, failed_id: str, target_id: str) -> None:
    with control_plane.lock:
        for handle in control_plane.schedulers():
            if handle.restore_rolled_back(failed_id, target_id):
                return
    log.warning("journal: rolled-back deployment %s is no service's PRIMARY now", failed_id)


def _restore_roles(control_plane: ControlPlane, deployment_id: str, production: list[str]) -> None:
    """The target groups ``deployment_id`` (its service's PRIMARY) made production are
    its service's ``targetGroupArn`` again, as DescribeServices showed them."""
    with control_plane.lock:
        for handle in control_plane.schedulers():
            service = handle.service
            if service.primary.id == deployment_id:
                service.load_balancers = with_production(service.load_balancers, production)
                return
    log.warning("journal: target group roles of %s: no service's PRIMARY now", deployment_id)
