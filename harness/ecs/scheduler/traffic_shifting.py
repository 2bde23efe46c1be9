"""BLUE_GREEN, LINEAR and CANARY: a green fleet beside blue, traffic moved by weights.

One stage machine serves the three strategies; they differ only in their production
steps (:mod:`.traffic_steps`). A deployment that replaces a running revision (blue)
goes through AWS's stages in order::

    RECONCILE_SERVICE        other revisions' leftovers stopped, traffic 100 % blue
    PRE_SCALE_UP             hooks
    SCALE_UP                 the full green fleet starts in the other target group
    POST_SCALE_UP            hooks, once every green task is healthy
    TEST_TRAFFIC_SHIFT       the test listener rule (if any) forwards 100 % to green
    POST_TEST_TRAFFIC_SHIFT  hooks
    per production step:
      PRE_PRODUCTION_TRAFFIC_SHIFT   hooks
      PRODUCTION_TRAFFIC_SHIFT       production rule weights {blue: 100-w, green: w}
      POST_PRODUCTION_TRAFFIC_SHIFT  hooks, then the step's bake time (not after 100 %)
    BAKE_TIME                bakeTimeInMinutes with blue still running
    CLEAN_UP                 blue drained and stopped; its group is the next green's

Hooks at each stage follow :mod:`.lifecycle_hooks`. A hook FAILED or timing out with
ROLLBACK, a PAUSE answered ROLLBACK, an alarm (with rollback), the circuit breaker (with
rollback) or StopServiceDeployment ROLLBACK roll back: traffic goes 100 % to blue at
once, green is stopped, blue is the PRIMARY again, and the hooks of the traffic-shift
stages reached run again. ABORT (or a failure without rollback) stops where it is.

A service's first deployment (nothing to shift from) and the time between deployments
(replacing failed tasks, scaling) are the rolling update's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from harness.ecs import events as ev
from harness.ecs.domain import (
    Deployment,
    DeploymentStatus,
    HookRun,
    HookStatus,
    LifecycleStage,
    RolloutState,
    ServiceDeploymentStatus,
    StopCode,
    StopType,
)
from harness.ecs.scheduler.actions import ShiftTraffic
from harness.ecs.scheduler.batch import StepBatch
from harness.ecs.scheduler.deployment_guard import (
    ROLLED_BACK_BY_USER,
    ROLLING_BACK_TO,
    STOPPED_BY_USER,
    abort,
    alarm_reason,
    note_alarms,
    triggered_alarms,
)
from harness.ecs.scheduler.lifecycle_hooks import HookGate, other_group
from harness.ecs.scheduler.records import TaskRecord
from harness.ecs.scheduler.rollback import Rollback
from harness.ecs.scheduler.rolling_update import RollingUpdate
from harness.ecs.scheduler.service_state import ServiceState
from harness.ecs.scheduler.task_lifecycle import TaskLifecycle
from harness.ecs.scheduler.traffic_steps import TrafficStep, forward_weights, traffic_steps

S = LifecycleStage

#: Stages where hooks may run again while the deployment rolls back.
SHIFT_STAGES = (S.TEST_TRAFFIC_SHIFT, S.PRODUCTION_TRAFFIC_SHIFT)


class Phase(Enum):
    SHIFTING = "SHIFTING"
    ROLLING_BACK = "ROLLING_BACK"
    STOPPED = "STOPPED"
    DONE = "DONE"


@dataclass
class _Run:
    """One blue-to-green deployment in flight."""

    dep: Deployment
    blue: Deployment
    #: Blue's task count when the deployment began: blue is kept at it until CLEAN_UP.
    blue_count: int
    steps: tuple[TrafficStep, ...]
    plan: tuple[tuple[LifecycleStage, int], ...]
    #: Other revisions with tasks when the deployment began (RECONCILE_SERVICE's work).
    leftovers: tuple[str, ...]
    pos: int = 0
    entered: bool = False
    hooks: list[HookRun] = field(default_factory=list)
    rollback_hooks: list[HookRun] = field(default_factory=list)
    wait_until: float | None = None
    phase: Phase = Phase.SHIFTING
    reached: set[LifecycleStage] = field(default_factory=set)

    @property
    def stage(self) -> LifecycleStage:
        return self.plan[self.pos][0]


def _plan(steps: tuple[TrafficStep, ...]) -> tuple[tuple[LifecycleStage, int], ...]:
    head = (
        S.RECONCILE_SERVICE,
        S.PRE_SCALE_UP,
        S.SCALE_UP,
        S.POST_SCALE_UP,
        S.TEST_TRAFFIC_SHIFT,
        S.POST_TEST_TRAFFIC_SHIFT,
    )
    shifts = (
        S.PRE_PRODUCTION_TRAFFIC_SHIFT,
        S.PRODUCTION_TRAFFIC_SHIFT,
        S.POST_PRODUCTION_TRAFFIC_SHIFT,
    )
    return (
        tuple((s, -1) for s in head)
        + tuple((s, i) for i in range(len(steps)) for s in shifts)
        + ((S.BAKE_TIME, -1), (S.CLEAN_UP, -1))
    )


class TrafficShifting:
    """The reconciler of BLUE_GREEN, LINEAR and CANARY (one instance per service)."""

    def __init__(self, state: ServiceState, lifecycle: TaskLifecycle, rollback: Rollback) -> None:
        self._state = state
        self._lifecycle = lifecycle
        self._rollback = rollback
        self._rolling = RollingUpdate(state, lifecycle, rollback)
        self._gate = HookGate(state)
        self._runs: dict[str, _Run] = {}
        #: Deployments already considered (a PRIMARY again after a rollback is not new).
        self._seen: set[str] = set()

    # ------------------------------------------------------------------ the step

    def reconcile(self, now: float, batch: StepBatch) -> None:
        state = self._state
        state.strategy_waiting = False
        if state.service.desired_count == 0:
            # DeleteService (or a scale to zero): no fleet is kept, every task goes
            for r in self._runs.values():
                r.phase = Phase.DONE
        self._begin_new(now, batch)
        for run in list(self._runs.values()):
            self._settle(run, now, batch)
        self._drop_stale_answers()
        for r in self._runs.values():
            if r.phase is Phase.ROLLING_BACK:  # informative: they hold nothing up
                self._gate.follow(r.dep, r.rollback_hooks, now, batch)
        run = self._active()
        if run is None:
            if any(
                r.phase is Phase.STOPPED and r.dep is state.service.primary
                for r in self._runs.values()
            ):
                state.inbox.stop = None
                return  # stopped where it is: nothing moves until the next deployment
            self._rolling.reconcile(now, batch)
            return
        state.strategy_waiting = True
        if self._guard(run, now, batch):
            return
        self._maintain(run, now, batch)
        if run.dep.rollout_state is RolloutState.FAILED:  # the circuit breaker tripped
            self._settle(run, now, batch)
            return
        while run.phase is Phase.SHIFTING and self._advance(run, now, batch):
            pass
        if run.phase is Phase.SHIFTING:
            self._maintain(run, now, batch)  # a stage just entered may need tasks (SCALE_UP)

    def _drop_stale_answers(self) -> None:
        """Answers for hooks no longer followed (their stage was left by a rollback)."""
        open_ids = {
            h.hook_id for run in self._runs.values() for h in (*run.hooks, *run.rollback_hooks)
        }
        inbox = self._state.inbox
        inbox.hook_answers = {k: v for k, v in inbox.hook_answers.items() if k in open_ids}
        inbox.continues = {k: v for k, v in inbox.continues.items() if k in open_ids}

    def next_wakeup(self) -> float | None:
        times: list[float] = []
        now = self._state.clock.now()
        for run in self._runs.values():
            if run.phase is Phase.SHIFTING:
                if run.wait_until is not None:
                    times.append(run.wait_until)
                wake = self._gate.next_wakeup(run.hooks)
                if wake is not None:
                    times.append(wake)
            if run.phase is Phase.ROLLING_BACK:
                wake = self._gate.next_wakeup(run.rollback_hooks)
                if wake is not None:
                    times.append(wake)
        # a timer due now was acted on in this step; only later ones are news
        later = [t for t in times if t > now]
        return min(later) if later else None

    def rolled_back_to(self, deployment_id: str) -> None:
        """Journal replay: the rollback target is PRIMARY again, not a new deployment to
        shift to (a restart while the failed fleet drains would otherwise begin one)."""
        self._seen.add(deployment_id)

    # ------------------------------------------------------------------ runs

    def _begin_new(self, now: float, batch: StepBatch) -> None:
        """A new PRIMARY replacing a running revision starts a run."""
        state = self._state
        primary = state.service.primary
        if primary.id in self._seen:
            return
        self._seen.add(primary.id)
        if primary.rollout_state is not RolloutState.IN_PROGRESS or primary.desired_count == 0:
            return
        with_tasks = [d for d in state.old_deployments() if state.active_count(d) > 0]
        shiftable = any(
            lb.advanced_configuration is not None for lb in state.service.load_balancers
        )
        if not with_tasks or not shiftable:
            return  # the first deployment, or no second target group: rolling
        blue = self._blue(with_tasks)
        for lb in state.service.load_balancers:
            if lb.advanced_configuration is not None:
                green = other_group(lb, state.target_group_for(blue.id, lb))
                state.target_groups.setdefault(primary.id, {})[lb.target_group_arn] = green
        steps = traffic_steps(state.service.deployment_configuration)
        self._runs[primary.id] = _Run(
            dep=primary,
            blue=blue,
            blue_count=max(state.active_count(blue), blue.desired_count),
            steps=steps,
            plan=_plan(steps),
            leftovers=tuple(d.id for d in with_tasks if d is not blue),
        )
        # blue first: the revision traffic shifts from (the hook payload's weights)
        primary.lifecycle.source_deployment_ids = (
            blue.id,
            *(d.id for d in with_tasks if d is not blue),
        )

    def _blue(self, with_tasks: list[Deployment]) -> Deployment:
        """The revision serving production: the last COMPLETED one with tasks, else the
        newest with tasks."""
        completed = [d for d in with_tasks if d.rollout_state is RolloutState.COMPLETED]
        return (completed or with_tasks)[0]

    def _active(self) -> _Run | None:
        primary = self._state.service.primary
        run = self._runs.get(primary.id)
        return run if run is not None and run.phase is Phase.SHIFTING else None

    def _settle(self, run: _Run, now: float, batch: StepBatch) -> None:
        """Notice what happened to a run outside its own stage machine."""
        primary = self._state.service.primary
        dep = run.dep
        if run.phase is Phase.SHIFTING and dep is not primary:
            if dep.rollout_state is RolloutState.FAILED:
                if dep.lifecycle.status is ServiceDeploymentStatus.ROLLBACK_IN_PROGRESS:
                    self._rollback_effects(run, now, batch)  # the circuit breaker rolled back
                else:
                    run.phase = Phase.STOPPED
            else:
                run.phase = Phase.DONE  # superseded by a newer deployment
        elif run.phase is Phase.SHIFTING and dep.rollout_state is RolloutState.FAILED:
            run.phase = Phase.STOPPED  # failed without rollback: frozen where it is
        elif run.phase is Phase.SHIFTING and dep.rollout_state is RolloutState.COMPLETED:
            run.phase = Phase.DONE
        finished = run.phase is Phase.DONE or (
            run.phase is not Phase.SHIFTING and dep.status is DeploymentStatus.INACTIVE
        )
        if finished and not self._gate.next_wakeup(run.rollback_hooks):
            del self._runs[dep.id]

    # ------------------------------------------------------------------ failures

    def _guard(self, run: _Run, now: float, batch: StepBatch) -> bool:
        """A stop request or an alarm; True when the run left SHIFTING."""
        state = self._state
        stop, state.inbox.stop = state.inbox.stop, None
        if stop is StopType.ABORT:
            abort(run.dep, STOPPED_BY_USER, now)
            run.phase = Phase.STOPPED
            return True
        if stop is StopType.ROLLBACK:
            self._roll_back(run, ROLLED_BACK_BY_USER, now, batch)
            return True
        names = triggered_alarms(state) if run.stage is not S.CLEAN_UP else ()
        if not names:
            return False
        note_alarms(run.dep, names)
        if state.service.deployment_configuration.alarms.rollback:
            self._roll_back(run, alarm_reason(names), now, batch)
        else:
            abort(run.dep, alarm_reason(names), now)
            run.phase = Phase.STOPPED
        return True

    def _roll_back(self, run: _Run, reason: str, now: float, batch: StepBatch) -> None:
        target = self._rollback.revert(
            run.dep, reason, ROLLING_BACK_TO, now, batch, target=run.blue
        )
        if target is None:
            run.phase = Phase.STOPPED
            return
        self._rollback_effects(run, now, batch)

    def _rollback_effects(self, run: _Run, now: float, batch: StepBatch) -> None:
        """Traffic 100 % blue at once, green stopped, shift-stage hooks run again."""
        run.phase = Phase.ROLLING_BACK
        run.wait_until = None
        for h in run.hooks:
            if h.status in (HookStatus.IN_PROGRESS, HookStatus.AWAITING_ACTION):
                h.status = HookStatus.FAILED
                h.status_reason = "abandoned: the deployment rolled back"
                h.call_again_at = None
        self._shift(run, production=True, green_weight=0, batch=batch)
        if S.TEST_TRAFFIC_SHIFT in run.reached:
            self._shift(run, production=False, green_weight=0, batch=batch)
        run.blue.desired_count = self._state.service.desired_count
        reason = f"Scaling activity initiated by (deployment {run.blue.id})"
        for r in self._records(run.dep):
            if r.active:
                self._lifecycle.begin_stop(
                    r, reason, StopCode.SERVICE_SCHEDULER_INITIATED, now, batch
                )
        run.dep.desired_count = 0
        for stage in SHIFT_STAGES:
            if stage in run.reached:
                run.rollback_hooks += self._gate.open(run.dep, stage, now, batch, on_rollback=True)

    # ------------------------------------------------------------------ the fleets

    def _records(self, dep: Deployment) -> list[TaskRecord]:
        return [r for r in self._state.records.values() if r.task.deployment_id == dep.id]

    def _maintain(self, run: _Run, now: float, batch: StepBatch) -> None:
        """Replace unhealthy tasks of either fleet; keep blue whole until CLEAN_UP and
        green whole from SCALE_UP on (outside maximumPercent: blue/green runs both)."""
        scaling = run.pos >= run.plan.index((S.SCALE_UP, -1))
        cleaning = run.stage is S.CLEAN_UP
        for dep, count, keep in (
            (run.blue, run.blue_count, not cleaning),
            (run.dep, run.dep.desired_count, scaling),
        ):
            for r in self._records(dep):
                if r.unhealthy:
                    self._lifecycle.stop_unhealthy(r, now, batch)
                    self._rollback.task_failed(r, now, batch)
            if not keep or run.dep.rollout_state is RolloutState.FAILED:
                continue
            active = sum(1 for r in self._records(dep) if r.active)
            for _ in range(max(0, count - active)):
                self._lifecycle.launch(dep, now, batch)

    # ------------------------------------------------------------------ stages

    def _advance(self, run: _Run, now: float, batch: StepBatch) -> bool:
        """Work on the current stage; True when it ended and the next one began."""
        stage, step = run.plan[run.pos]
        life = run.dep.lifecycle
        if not run.entered:
            run.entered = True
            run.hooks = []
            run.wait_until = None
            run.reached.add(stage)
            life.stage = stage
            batch.event(
                ev.LifecycleStageStarted(
                    self._state.service.service_name, now, run.dep.id, stage.value
                )
            )
            self._enter(run, stage, step, now, batch)
            if stage is not S.RECONCILE_SERVICE or run.leftovers:
                run.hooks = self._gate.open(run.dep, stage, now, batch)
        verdict = self._gate.follow(run.dep, run.hooks, now, batch)
        if verdict.rollback_reason:
            self._roll_back(run, verdict.rollback_reason, now, batch)
            return False
        if not verdict.done:
            return False
        if stage is S.SCALE_UP and self._state.count(run.dep, healthy=True) < run.dep.desired_count:
            return False
        if run.wait_until is None:
            run.wait_until = now + self._wait_after(run, stage, step)
        if now < run.wait_until:
            return False
        if stage is S.CLEAN_UP:
            return False  # ends when blue has stopped: the deployment completes
        run.pos += 1
        run.entered = False
        return True

    def _wait_after(self, run: _Run, stage: LifecycleStage, step: int) -> float:
        config = self._state.service.deployment_configuration
        wall = self._state.settings.time.wall
        if stage is S.POST_PRODUCTION_TRAFFIC_SHIFT and step < len(run.steps) - 1:
            return wall(run.steps[step].bake_after_s)
        if stage is S.BAKE_TIME:
            return wall((config.bake_time_in_minutes or 0) * 60.0)
        return 0.0

    def _enter(
        self, run: _Run, stage: LifecycleStage, step: int, now: float, batch: StepBatch
    ) -> None:
        match stage:
            case S.RECONCILE_SERVICE:
                reason = f"Scaling activity initiated by (deployment {run.dep.id})"
                for dep_id in run.leftovers:
                    dep = self._state.deployment(dep_id)
                    if dep is None:
                        continue
                    dep.desired_count = 0
                    for r in self._records(dep):
                        if r.active:
                            self._lifecycle.begin_stop(
                                r, reason, StopCode.SERVICE_SCHEDULER_INITIATED, now, batch
                            )
                self._shift(run, production=True, green_weight=0, batch=batch)
            case S.TEST_TRAFFIC_SHIFT:
                self._shift(run, production=False, green_weight=100, batch=batch)
            case S.PRODUCTION_TRAFFIC_SHIFT:
                self._shift(
                    run, production=True, green_weight=run.steps[step].green_weight, batch=batch
                )
            case S.CLEAN_UP:
                run.blue.desired_count = 0
                reason = f"Scaling activity initiated by (deployment {run.dep.id})"
                for r in self._records(run.blue):
                    if r.active:
                        self._lifecycle.begin_stop(
                            r, reason, StopCode.SERVICE_SCHEDULER_INITIATED, now, batch
                        )
            case _:
                pass

    def _shift(self, run: _Run, *, production: bool, green_weight: int, batch: StepBatch) -> None:
        """Point the production (or test) listener rules at green by ``green_weight`` %."""
        state = self._state
        shifted = False
        for lb in state.service.load_balancers:
            advanced = lb.advanced_configuration
            if advanced is None:
                continue
            rule = advanced.production_listener_rule if production else advanced.test_listener_rule
            if not rule:
                continue
            green = state.target_group_for(run.dep.id, lb)
            weights = forward_weights(other_group(lb, green), green, green_weight)
            batch.actions.append(ShiftTraffic(rule, weights))
            batch.event(
                ev.TrafficShifted(
                    state.service.service_name, batch.at, run.dep.id, rule, weights, production
                )
            )
            shifted = True
        if production:
            run.dep.lifecycle.production_traffic_weight = float(green_weight)
        elif shifted:
            run.dep.lifecycle.test_traffic_weight = float(green_weight)
