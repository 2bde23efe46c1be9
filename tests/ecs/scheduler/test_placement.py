"""What a task reserves, as ECS computes it, and which waiting tasks fit: pure arithmetic."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from harness.ecs.scheduler.placement import (
    UNSPECIFIED_CONTAINER_MEMORY_MIB,
    Resources,
    engine_capacity,
    place,
    task_requirements,
    total,
)


def test_task_level_cpu_and_memory_win_and_accept_ecs_units() -> None:
    definition = {
        "cpu": "1 vCPU",
        "memory": "2 GB",
        "containerDefinitions": [{"name": "a", "memory": 64, "cpu": 10}],
    }
    assert task_requirements(definition) == Resources(cpu=1024, memory=2048)
    assert task_requirements({**definition, "cpu": "256", "memory": "512"}) == Resources(256, 512)


def test_container_level_sums_soft_limit_before_hard_limit() -> None:
    definition = {
        "containerDefinitions": [
            {"name": "a", "memory": 512, "memoryReservation": 256, "cpu": 128},
            {"name": "b", "memory": 300},
            {"name": "c"},
        ]
    }
    expected = Resources(cpu=128, memory=256 + 300 + UNSPECIFIED_CONTAINER_MEMORY_MIB)
    assert task_requirements(definition) == expected


def test_place_tries_each_task_against_what_earlier_ones_left() -> None:
    waiting = [("big", Resources(0, 1100)), ("a", Resources(0, 400)), ("b", Resources(0, 400))]
    placed, refused = place(waiting, Resources(cpu=4096, memory=1000))
    assert placed == ["a", "b"]
    assert refused == {"big": "memory"}
    placed, refused = place([("cpu", Resources(5000, 1))], Resources(4096, 1000))
    assert (placed, refused) == ([], {"cpu": "CPU units"})


def test_engine_capacity_is_docker_info_less_the_margin_unless_set() -> None:
    assert engine_capacity(24 * 2**30, 2, margin_mib=3072) == Resources(2048, 24 * 1024 - 3072)
    assert engine_capacity(24 * 2**30, 2, margin_mib=3072, memory_mib=1536, cpu_units=512) == (
        Resources(512, 1536)
    )
    assert engine_capacity(2**30, 1, margin_mib=3072).memory == 0


@given(
    st.lists(st.tuples(st.integers(0, 4096), st.integers(1, 4096)), max_size=30),
    st.integers(0, 8192),
    st.integers(0, 16384),
)
def test_placed_tasks_never_exceed_the_instance(
    needs: list[tuple[int, int]], cpu: int, memory: int
) -> None:
    waiting = [(i, Resources(c, m)) for i, (c, m) in enumerate(needs)]
    placed, refused = place(waiting, Resources(cpu, memory))
    used = total(waiting[i][1] for i in placed)
    assert used.cpu <= cpu and used.memory <= memory
    assert set(placed) | set(refused) == set(range(len(needs)))
    assert not set(placed) & set(refused)
