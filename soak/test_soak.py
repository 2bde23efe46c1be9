"""Soak: an hour of AWS time of churn under load, then nothing leaked (``tox -e soak``).

Not in CI (minutes of wall time, the whole machine). At the scenario time scale (0.05)
an hour of AWS time is three minutes of wall time; ``DRYDOCK_SOAK_AWS_MINUTES`` sets
it. Each round, under steady client load through the balancer: scale past the
instance's capacity (five asked, four fit, one waits PENDING) and back, a forced deployment, a
``docker kill``ed task, and a restart of the emulator (journal replayed, tasks
adopted). At the end: no container left behind, and the emulator's threads, file
descriptors and memory (this process hosts it) grew by no more than stated bounds
between the first and the last round. The figures are printed.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from pathlib import Path

import pytest

from harness.docker_engine.containers import containers_labelled
from harness.ecs.emulator.emulator import Emulator
from harness.ecs.runtime.task_containers import OWNER_LABEL
from harness.images.registry import PushedImage
from harness.testing import ClientLoad, EcsService, Isolation, LocalCloud
from harness.testing.serving import serving_service

pytestmark = [pytest.mark.docker, pytest.mark.timeout(3600)]

AWS_MINUTES = float(os.environ.get("DRYDOCK_SOAK_AWS_MINUTES", "60"))
#: Four 512 MiB tasks fit: room for a rolling deployment of two at maximumPercent 200 (as
#: on ECS, a deployment with no room for its extra tasks waits for ever), and a fifth waits.
INSTANCE_MEMORY_MIB = 2304
MAX_THREAD_GROWTH = 5
MAX_FD_GROWTH = 20
MAX_RSS_GROWTH_MIB = 64


def _rss_mib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


def _until(check: object, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.5)


def _resources() -> tuple[int, int, int]:
    gc.collect()  # what the collector would free is not a leak
    return threading.active_count(), len(os.listdir("/proc/self/fd")), _rss_mib()


def test_an_hour_of_churn_under_load_leaks_nothing(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_time_scale: float,
    drydock_emulator_owner: str,
    tmp_path: Path,
) -> None:
    settings = drydock_cloud.settings.model_copy(
        update={"time_scale": drydock_time_scale, "instance_memory_mib": INSTANCE_MEMORY_MIB}
    )
    journal = tmp_path / "journal.jsonl"
    emulator = Emulator(settings, journal=journal, owner=drydock_emulator_owner).start()
    rounds: list[tuple[int, int, int]] = []
    try:
        service, _ = serving_service(
            emulator, drydock_isolation, drydock_cloud, drydock_serving_image.by_digest
        )
        service.with_grace_period(600).with_desired_count(2).start()
        service.wait_stable()
        service.wait_targets_healthy(2)
        wall_s = AWS_MINUTES * 60 * drydock_time_scale
        deadline = time.monotonic() + wall_s
        load = ClientLoad(
            service.lb_url,
            threads=2,
            max_seconds=wall_s + 300,
            max_requests=int(wall_s * 200) + 10_000,  # never the bound: load runs throughout
        )
        with load:
            time.sleep(1)
            rounds.append(_resources())
            while time.monotonic() < deadline or len(rounds) < 2:
                service.update(desired_count=5)
                _until(lambda s=service: s.describe()["pendingCount"] == 1, "a fifth task waits")
                _until(lambda s=service: s.describe()["runningCount"] == 4, "four run")
                service.update(desired_count=2)
                service.wait_stable()
                service.force_new_deployment()
                service.wait_rollout_state("COMPLETED", timeout_s=180)
                victim = service.tasks()[0]["containers"][0]["runtimeId"]
                drydock_cloud.client.containers.get(victim).kill()
                time.sleep(2)
                service.wait_stable()
                service.wait_targets_healthy(2)
                emulator.stop(keep_tasks=True)
                emulator = Emulator(settings, journal=journal, owner=drydock_emulator_owner).start()
                target_group = service.target_group_arn
                service = EcsService(emulator, drydock_isolation)
                service.target_group_arn = target_group
                service.wait_stable()
                service.wait_targets_healthy(2)
                rounds.append(_resources())
            churn_ended = time.monotonic()
        errors = emulator.driver.errors if emulator.driver else []
    finally:
        emulator.stop()
    left = containers_labelled(drydock_cloud.client, **{OWNER_LABEL: drydock_emulator_owner})
    first, last = rounds[0], rounds[-1]
    print(
        f"\nsoak: {AWS_MINUTES:.0f} AWS minutes ({wall_s:.0f} s wall), {len(rounds)} rounds; "
        f"requests {len(load.responses)}, failed {len(load.failures)}; "
        f"threads {first[0]} -> {last[0]}, fds {first[1]} -> {last[1]}, "
        f"RSS {first[2]} -> {last[2]} MiB; containers left {len(left)}"
    )
    assert load.after(churn_ended - 5), "clients were still being served at the end"
    assert left == [], "no container left behind"
    assert errors == []
    assert last[0] - first[0] <= MAX_THREAD_GROWTH
    assert last[1] - first[1] <= MAX_FD_GROWTH
    assert last[2] - first[2] <= MAX_RSS_GROWTH_MIB
    assert len(load.failures) <= len(rounds) * 20, "losses bounded to in-flight on killed tasks"
