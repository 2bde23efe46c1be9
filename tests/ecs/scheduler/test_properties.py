"""Property: whatever the configuration and however tasks start, fail and die, no
scheduler action breaks the deployment configuration's bounds.

Deaths are the environment's fault, so only what the scheduler chose is checked:
a step that starts tasks must leave at most floor(max% x desired) tasks holding a slot,
and a step that stops a healthy task (for a rollout or a scale-in) must leave at least
ceil(min% x desired) healthy ones.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.ecs.domain import (
    ContainerHealthCheck,
    DeploymentCircuitBreaker,
    DeploymentConfiguration,
    RolloutState,
)
from harness.ecs.scheduler import DeregisterTarget, StartTask, StopTask

configs = st.builds(
    lambda mn, mx, cb, rb: DeploymentConfiguration(
        maximum_percent=mx,
        minimum_healthy_percent=mn,
        deployment_circuit_breaker=DeploymentCircuitBreaker(enable=cb, rollback=rb),
    ),
    st.sampled_from([0, 25, 50, 75, 100]),
    st.sampled_from([100, 125, 150, 200]),
    st.booleans(),
    st.booleans(),
)


def _random_behaviour(behaviour, rng: random.Random, fail_rate: float):
    def sample(_td_arn: str):
        roll = rng.random()
        flakiness = rng.random()
        return behaviour(
            start_latency=rng.uniform(0.5, 60.0),
            fail_to_start=roll < fail_rate / 2,
            crash_after=rng.uniform(1.0, 400.0) if roll > 1 - fail_rate / 2 else None,
            check_passes=lambda _s, p=flakiness: rng.random() > p * fail_rate,
            lb_healthy=rng.random() > fail_rate / 3,
            stop_latency=rng.uniform(0.1, 30.0),
        )

    return sample


def _install_invariants(w, violations: list[str]) -> None:
    before: dict[str, bool] = {}

    def snapshot() -> None:
        before.clear()
        before.update({t.task_arn: w.scheduler.is_healthy(t.task_arn) for t in w.live()})

    def check(actions) -> None:
        bounds = w.scheduler.bounds()
        if any(isinstance(a, StartTask) for a in actions):
            occupied = w.scheduler.occupied_count()
            if occupied > bounds.max_tasks:
                violations.append(f"t={w.now}: {occupied} tasks > max {bounds.max_tasks}")
        stopped_healthy = [
            a.task_arn
            for a in actions
            if isinstance(a, StopTask | DeregisterTarget)
            and before.get(a.task_arn)
            and (w.scheduler.task(a.task_arn).stopped_reason or "").startswith("Scaling")
        ]
        if stopped_healthy and w.scheduler.healthy_count() < bounds.min_healthy:
            violations.append(
                f"t={w.now}: stopped healthy {stopped_healthy}, "
                f"{w.scheduler.healthy_count()} healthy < min {bounds.min_healthy}"
            )

    w.pre_hooks.append(snapshot)
    w.hooks.append(check)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    desired=st.integers(1, 6),
    config=configs,
    seed=st.integers(0, 2**32 - 1),
    fail_rate=st.sampled_from([0.0, 0.1, 0.4, 1.0]),
    load_balanced=st.booleans(),
    health_checked=st.booleans(),
    new_desired=st.one_of(st.none(), st.integers(0, 7)),
)
def test_scheduler_actions_respect_bounds(
    make_world,
    make_td,
    behaviour,
    desired,
    config,
    seed,
    fail_rate,
    load_balanced,
    health_checked,
    new_desired,
):
    rng = random.Random(seed)
    hc = (
        ContainerHealthCheck(command=("CMD", "true"), interval=10, retries=2)
        if health_checked
        else None
    )
    v1 = make_td(1, health_check=hc)
    v2 = make_td(2, health_check=hc)
    good = _random_behaviour(behaviour, rng, 0.0)
    bad = _random_behaviour(behaviour, rng, fail_rate)
    w = make_world(
        desired=desired,
        config=config,
        task_definition=v1,
        load_balanced=load_balanced,
        grace=rng.choice([0, 20]),
        lb_interval=10,
        deregistration_delay=rng.choice([0, 30]),
        per_task=lambda arn: (bad if arn == v2.arn else good)(arn),
        seed=seed,
    )
    violations: list[str] = []
    _install_invariants(w, violations)
    w.run(max_time=1500)
    w.update(task_definition=v2, desired_count=new_desired)
    w.run(max_time=1500)
    assert violations == []


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    desired=st.integers(1, 6),
    config=configs,
    seed=st.integers(0, 2**32 - 1),
    load_balanced=st.booleans(),
)
def test_healthy_rollout_completes_or_reports_a_stall(
    make_world, make_td, behaviour, is_stable, desired, config, seed, load_balanced
):
    """With tasks that always work, a rollout either completes or -- only when the
    bounds allow neither a start nor a stop -- says so in one stall event."""
    rng = random.Random(seed)
    w = make_world(
        desired=desired,
        load_balanced=load_balanced,
        lb_interval=10,
        deregistration_delay=30,
        per_task=_random_behaviour(behaviour, rng, 0.0),
    )
    w.run_until_stable()
    assert is_stable(w)
    w.update(task_definition=make_td(2), deployment_configuration=config)
    w.run(is_stable, max_time=7200)
    can_move = config.max_tasks(desired) > desired or config.min_healthy_tasks(desired) < desired
    stalls = [m for m in w.messages() if "was unable to stop or start tasks" in m]
    if can_move:
        assert is_stable(w) and w.live()[0].task_definition_arn.endswith(":2")
        assert w.service.primary.rollout_state is RolloutState.COMPLETED
        assert stalls == []
    else:
        assert len(stalls) == 1
