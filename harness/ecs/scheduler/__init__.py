"""The ECS emulator's scheduler: pure deployment logic, no Docker, no I/O, no threads.

The scheduler decides, the runtime acts. A :class:`ServiceScheduler` per service takes
observations (:mod:`.observations`) and returns actions (:mod:`.actions`) that a driver
hands to the runtime and the balancer (:func:`.ports.dispatch`). Time comes from an
injected clock; every AWS duration becomes wall time through ``SchedulerSettings.time``.

``ServiceScheduler`` is a facade over one :class:`.service_state.ServiceState` and a
module per concern: :mod:`.task_lifecycle` (start, register, drain, stop, adopt),
:mod:`.task_observations`, :mod:`.task_health` (verdicts, wake-ups), :mod:`.rollback`
(the circuit breaker's effect), :mod:`.deployment_progress` (new deployments, counts,
completion, events) and, chosen by :mod:`.deployment_strategy`, the strategy's
reconciler: :mod:`.rolling_update` for ROLLING. A new strategy is a module beside it.

Decisions where AWS leaves room (see each module for the why):

* Container health checks: the runtime runs them and reports each result; the scheduler
  applies retries, startPeriod and the grace period (:mod:`.health`).
* Draining: the balancer reports ``TargetDrained`` when the deregistration delay is over
  (it alone knows the target group attribute and whether in-flight requests finished);
  the scheduler stops the task only then.
* Capacity: every task not yet STOPPED (including DEACTIVATING and STOPPING ones) holds a
  slot under maximumPercent, so the bound holds however ``RUNNING + PENDING`` is read.
* Unhealthy tasks are replaced first and stopped once the replacement is healthy, or one
  at a time when maximumPercent leaves no room (AWS's documented behaviour); so when every
  target is unhealthy and the ALB fails open, the service keeps serving from them.
* Circuit breaker: a task that dies before it was ever healthy counts as a failure
  (stage 1 when it never reached RUNNING); ``failed_tasks`` resets when a task of the
  deployment becomes healthy (AWS: "consecutively failed tasks").
* A task of an older deployment that dies mid-rollout is not replaced from its old
  revision; the PRIMARY takes its place. If the PRIMARY has FAILED (no rollback), older
  deployments replace their own tasks.
* Scale-in stops not-yet-healthy tasks first, then the newest.
* After an emulator restart, tasks still running are adopted (:mod:`.adoption_plan`) rather
  than replaced: ECS keeps tasks running when its control plane restarts.
"""

from harness.ecs.scheduler.actions import (
    Action,
    AdoptTask,
    DeregisterTarget,
    HealthCheckSchedule,
    RegisterTarget,
    StartTask,
    StopTask,
)
from harness.ecs.scheduler.bounds import Bounds
from harness.ecs.scheduler.ids import IdSource, RandomIds
from harness.ecs.scheduler.observations import (
    ContainerHealthCheckResult,
    Observation,
    StopRequested,
    TargetDrained,
    TargetHealthChanged,
    TaskRunning,
    TaskStopped,
)
from harness.ecs.scheduler.ports import (
    Clock,
    TargetRegistrar,
    TaskRuntime,
    dispatch,
)
from harness.ecs.scheduler.service_scheduler import ServiceScheduler
from harness.ecs.scheduler.settings import SchedulerSettings

__all__ = [
    "Action",
    "AdoptTask",
    "Bounds",
    "Clock",
    "ContainerHealthCheckResult",
    "DeregisterTarget",
    "HealthCheckSchedule",
    "IdSource",
    "Observation",
    "RandomIds",
    "RegisterTarget",
    "SchedulerSettings",
    "ServiceScheduler",
    "StartTask",
    "StopRequested",
    "StopTask",
    "TargetDrained",
    "TargetHealthChanged",
    "TargetRegistrar",
    "TaskRunning",
    "TaskRuntime",
    "TaskStopped",
    "dispatch",
]
