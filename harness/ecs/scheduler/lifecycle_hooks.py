"""Lifecycle hooks at a deployment's stages: open them, follow their answers, judge.

At each stage the deployment runs every hook configured for it (both kinds may share a
stage; all must end before the deployment goes on):

* AWS_LAMBDA: an ``InvokeHook`` action with AWS's payload; the answer comes back as
  ``HookAnswered``. SUCCEEDED passes, FAILED rolls back, IN_PROGRESS calls the function
  again after ``callBackDelay`` (default 30 s).
* PAUSE: waits (AWAITING_ACTION) for ``ContinueServiceDeployment`` CONTINUE or ROLLBACK.

Either kind ends at ``timeoutConfiguration.timeoutInMinutes`` (default 1440) with its
``action`` (default ROLLBACK) and shows TIMED_OUT. Every duration follows the time scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.ecs.domain import (
    Deployment,
    HookAction,
    HookRun,
    HookStatus,
    HookTargetType,
    LifecycleHook,
    LifecycleStage,
    ServiceLoadBalancer,
)
from harness.ecs.scheduler.actions import InvokeHook
from harness.ecs.scheduler.batch import StepBatch
from harness.ecs.scheduler.service_state import ServiceState

#: ``timeoutConfiguration`` defaults (AWS): 1440 minutes, then roll back.
DEFAULT_TIMEOUT_MINUTES = 1440
DEFAULT_TIMEOUT_ACTION = HookAction.ROLLBACK
#: A Lambda hook answering IN_PROGRESS without ``callBackDelay`` is called again after 30 s.
DEFAULT_CALLBACK_DELAY_S = 30.0

_ENDED = (HookStatus.SUCCEEDED, HookStatus.FAILED, HookStatus.TIMED_OUT)


@dataclass(frozen=True)
class HookVerdict:
    """Whether a stage's hooks let the deployment go on: ``done`` when every hook ended;
    ``rollback_reason`` set when one asks for a rollback."""

    done: bool
    rollback_reason: str = ""


def hooks_at(hooks: Sequence[LifecycleHook], stage: LifecycleStage) -> list[LifecycleHook]:
    """The configured hooks that run at ``stage``."""
    return [h for h in hooks if stage in h.lifecycle_stages]


class HookGate:
    """Opens and follows one service's hook runs; answers come through the state's inbox."""

    def __init__(self, state: ServiceState) -> None:
        self._state = state
        self._seq = 0

    def open(
        self,
        dep: Deployment,
        stage: LifecycleStage,
        now: float,
        batch: StepBatch,
        *,
        on_rollback: bool = False,
    ) -> list[HookRun]:
        """Start every hook of ``stage`` for ``dep``; Lambda hooks are invoked at once."""
        runs: list[HookRun] = []
        for hook in hooks_at(self._state.service.deployment_configuration.lifecycle_hooks, stage):
            self._seq += 1
            timeout_min = hook.timeout_in_minutes or DEFAULT_TIMEOUT_MINUTES
            run = HookRun(
                hook_id=f"{dep.id.rsplit('/', 1)[-1]}-{self._seq}",
                hook=hook,
                stage=stage,
                status=(
                    HookStatus.AWAITING_ACTION
                    if hook.target_type is HookTargetType.PAUSE
                    else HookStatus.IN_PROGRESS
                ),
                started_at=now,
                expires_at=now + self._state.settings.time.wall(timeout_min * 60.0),
                on_rollback=on_rollback,
            )
            dep.lifecycle.hooks.append(run)
            runs.append(run)
            if hook.target_type is HookTargetType.AWS_LAMBDA:
                self._invoke(dep, run, batch)
        return runs

    def follow(
        self, dep: Deployment, runs: Sequence[HookRun], now: float, batch: StepBatch
    ) -> HookVerdict:
        """Apply answers and timers to ``runs``; say whether the stage may end."""
        inbox = self._state.inbox
        rollback = ""
        for run in runs:
            if run.status in _ENDED:
                continue
            answer = inbox.hook_answers.pop(run.hook_id, None)
            action = inbox.continues.pop(run.hook_id, None)
            if answer is not None and run.status is HookStatus.IN_PROGRESS:
                run.status_reason = answer.reason
                if answer.status is HookStatus.IN_PROGRESS:
                    delay = (
                        DEFAULT_CALLBACK_DELAY_S
                        if answer.callback_delay is None
                        else answer.callback_delay
                    )
                    run.call_again_at = now + self._state.settings.time.wall(delay)
                elif answer.status in (HookStatus.SUCCEEDED, HookStatus.FAILED):
                    run.status = answer.status
                    run.call_again_at = None
            if action is not None and run.status is HookStatus.AWAITING_ACTION:
                run.status = (
                    HookStatus.SUCCEEDED if action is HookAction.CONTINUE else HookStatus.FAILED
                )
                run.status_reason = f"ContinueServiceDeployment {action.value}"
            if run.status not in _ENDED and run.expires_at is not None and now >= run.expires_at:
                run.status = HookStatus.TIMED_OUT
                run.call_again_at = None
                run.status_reason = f"timed out; timeout action {timeout_action(run.hook).value}"
            if run.call_again_at is not None and now >= run.call_again_at:
                run.call_again_at = None
                self._invoke(dep, run, batch)
            if not rollback:
                rollback = _rollback_reason(run)
        done = all(r.status in _ENDED for r in runs)
        return HookVerdict(done=done or bool(rollback), rollback_reason=rollback)

    def next_wakeup(self, runs: Sequence[HookRun]) -> float | None:
        """The earliest call-again or timeout among the runs still open."""
        times = [
            t
            for r in runs
            if r.status not in _ENDED
            for t in (r.call_again_at, r.expires_at)
            if t is not None
        ]
        return min(times) if times else None

    def _invoke(self, dep: Deployment, run: HookRun, batch: StepBatch) -> None:
        batch.actions.append(
            InvokeHook(run.hook_id, dep.id, run.stage, run.hook, self.payload(dep, run))
        )

    def payload(self, dep: Deployment, run: HookRun) -> dict[str, object]:
        """The event AWS sends a hook function: ``executionDetails`` with the service, the
        target revision and the traffic weights keyed by service revision ARN (the blue
        revision is the first source of the deployment), the stage, and the service
        deployment (``resourceArn``)."""
        service = self._state.service
        life = dep.lifecycle
        green = service_revision_arn(service.service_arn, dep.id)
        prod = {green: round(life.production_traffic_weight)}
        test = {green: round(life.test_traffic_weight)}
        if life.source_deployment_ids:
            blue = service_revision_arn(service.service_arn, life.source_deployment_ids[0])
            prod[blue] = 100 - prod[green]
            test[blue] = 100 - test[green]
        return {
            "executionDetails": {
                "testTrafficWeights": test,
                "productionTrafficWeights": prod,
                "serviceArn": service.service_arn,
                "targetServiceRevisionArn": green,
            },
            "executionId": run.hook_id,
            "hookId": run.hook_id,
            "lifecycleStage": run.stage.value,
            "resourceArn": service_deployment_arn(service.service_arn, dep.id),
            "hookDetails": run.hook.hook_details,
        }


def timeout_action(hook: LifecycleHook) -> HookAction:
    return hook.timeout_action or DEFAULT_TIMEOUT_ACTION


def service_revision_arn(service_arn: str, deployment_id: str) -> str:
    """``arn:aws:ecs:<region>:<account>:service-revision/<cluster>/<service>/<id>``: the
    revision a deployment rolls out, named by the deployment's number."""
    revisions = service_arn.replace(":service/", ":service-revision/", 1)
    return f"{revisions}/{deployment_id.rsplit('/', 1)[-1]}"


def service_deployment_arn(service_arn: str, deployment_id: str) -> str:
    """``arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id>``."""
    deployments = service_arn.replace(":service/", ":service-deployment/", 1)
    return f"{deployments}/{deployment_id.rsplit('/', 1)[-1]}"


def other_group(lb: ServiceLoadBalancer, group: str) -> str:
    """The other target group of a blue/green pair (``group`` itself without one)."""
    advanced = lb.advanced_configuration
    if advanced is None:
        return group
    if group == lb.target_group_arn:
        return advanced.alternate_target_group_arn
    return lb.target_group_arn


def _rollback_reason(run: HookRun) -> str:
    name = run.hook.hook_target_arn or run.hook.target_type.value
    if run.status is HookStatus.FAILED:
        why = f": {run.status_reason}" if run.status_reason else ""
        return f"Lifecycle hook {run.hook_id} ({name}) at {run.stage.value} failed{why}."
    if run.status is HookStatus.TIMED_OUT and timeout_action(run.hook) is HookAction.ROLLBACK:
        return f"Lifecycle hook {run.hook_id} ({name}) at {run.stage.value} timed out."
    return ""
