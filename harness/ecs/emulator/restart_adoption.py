"""Adopt the task containers a previous emulator left running (after journal replay).

The decision is :func:`harness.ecs.scheduler.adoption_plan.plan_adoption` (pure); this module
feeds it what docker holds and the replayed services, hands each adopted task to its
service's scheduler, removes the containers nobody adopts, and lets :class:`Elbv2Sync`
take over HAProxy's servers for the adopted tasks, so traffic to them never stops.
"""

from __future__ import annotations

import logging

from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.errors import ControlPlaneError
from harness.ecs.emulator.elbv2_sync import AdoptedTarget, Elbv2Sync
from harness.ecs.runtime.docker_runtime import DockerTaskRuntime
from harness.ecs.runtime.task_containers import task_id
from harness.ecs.scheduler.adoption_plan import AdoptionPlan, plan_adoption

log = logging.getLogger(__name__)


def adopt_left_behind(
    control_plane: ControlPlane, runtime: DockerTaskRuntime, targets: Elbv2Sync
) -> AdoptionPlan:
    """Call before the driver loop starts: its first step must already see the tasks."""
    found = runtime.left_behind()
    resumed: dict[str, list[AdoptedTarget]] = {}
    with control_plane.lock:
        handles = {
            (h.service.cluster_arn, h.service.service_name): h for h in control_plane.schedulers()
        }
        plan = plan_adoption(
            found,
            [h.service for h in handles.values()],
            lambda arn: _container_names(control_plane, arn),
        )
        for task in plan.adopt:
            handle = handles[(task.cluster_arn, task.service_name)]
            handle.adopt(task.task_arn, task.deployment_id, task.started_at, task.container_ids)
            for lb in handle.service.load_balancers:
                container_id = task.container_ids.get(lb.container_name)
                if container_id is not None:
                    ip = runtime.left_behind_ip(container_id)
                    target = (task.task_arn, ip, lb.container_port)
                    resumed.setdefault(lb.target_group_arn, []).append(target)
    for task in plan.adopt:
        log.info("adopted task %s of service %s", task_id(task.task_arn), task.service_name)
    for removed in plan.remove:
        log.info("removing left-behind container %s: %s", removed.container_id[:12], removed.reason)
    runtime.remove_containers(r.container_id for r in plan.remove)
    targets.resume(resumed)
    return plan


def _container_names(control_plane: ControlPlane, task_definition_arn: str) -> list[str] | None:
    try:
        definition = control_plane.task_definitions.resolve(task_definition_arn)
    except ControlPlaneError:
        return None
    return [c["name"] for c in definition.container_definitions]
