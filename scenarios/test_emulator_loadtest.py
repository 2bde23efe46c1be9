"""The target load test: 4 tasks rolled under 600 requests/s of locust load, no errors.

One locust process (``FastHttpUser``) aims at 600 requests/s; CI requires at least
``FLOOR`` of them sustained over the whole run, rollout included, with zero failed
requests. Measured on the shared 2-core machine, other sessions' load varying (load
average 2-16), achieved average (min/mean while rolling) and failures:

    target  600: 486 (130/~300), 555 (345/492): zero failures
    target  800: 425 (104/218), one 504 (3.2 s gateway timeout) under heavy outside load
    target 1000: 815 (351/640): zero failures

Outside the rollout one locust process holds 800-1000 requests/s; while four new tasks
boot the machine is the limit. The floor of 350 leaves a margin for a busy CI runner.

``run_rollout_loadtest`` (the engine of ``drydock loadtest``) drives locust through the
listener, fires ``forceNewDeployment`` at a chosen second and collects the service's
events from DescribeServices; its SLO gates judge what clients saw. The rollout's
duration is set against its lower bound: a new task must start and answer ready
(measured here, per task, on its own port) and pass one target health check (the first
runs one interval after registration, so that wait overlaps the start-up: the bound
takes the longer of the two), then the old targets drain for the deregistration delay,
AWS seconds times the time scale.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.loadtest.config import LoadSettings
from harness.loadtest.ecs_hooks import service_events
from harness.loadtest.runner import run_rollout_loadtest
from harness.report.gates import GateThresholds
from harness.testing import EcsService, Isolation, LocalCloud
from harness.testing.serving import serving_service

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]

DESIRED = 4
# The target rate, and the floor CI must hold (both overridable to probe the limit:
# DRYDOCK_SCENARIO_LOAD_RATE=900 DRYDOCK_SCENARIO_LOAD_FLOOR=0 ...).
RATE = float(os.environ.get("DRYDOCK_SCENARIO_LOAD_RATE", 600.0))
FLOOR = float(os.environ.get("DRYDOCK_SCENARIO_LOAD_FLOOR", 350.0))
PROCESSES = int(os.environ.get("DRYDOCK_SCENARIO_LOAD_PROCESSES", 1))
USERS = max(4, round(RATE / 10))  # 10 requests/s per user
DURATION_S = 45.0
TRIGGER_AT_S = 6.0
INTERVAL_S = 30
DEREGISTRATION_DELAY_S = 20


class ReadinessClock:
    """When each new task first answers ready on its own published port (epoch s)."""

    def __init__(self, service: EcsService, old: set[str], path: str) -> None:
        self.service, self.old, self.path = service, old, path
        self.ready: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        deadline = time.monotonic() + 60
        while not self._stop.is_set() and time.monotonic() < deadline:
            for task, container in self.service.task_containers().items():
                if task in self.old or task in self.ready:
                    continue
                try:
                    container.reload()
                    port = container.attrs["NetworkSettings"]["Ports"][
                        f"{self.service.container.port}/tcp"
                    ][0]["HostPort"]
                    answer = requests.get(f"http://127.0.0.1:{port}{self.path}", timeout=0.5)
                except Exception:
                    continue
                if answer.status_code == 200:
                    self.ready[task] = time.time()
            if len(self.ready) >= DESIRED:
                return
            self._stop.wait(0.05)


def test_four_tasks_roll_under_load_with_zero_errors(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
    drydock_time_scale: float,
    tmp_path: Path,
) -> None:
    service, release = serving_service(
        drydock_emulator, drydock_isolation, drydock_cloud, drydock_serving_image.by_digest
    )
    (
        service.with_desired_count(DESIRED)
        .with_deployment(minimum_healthy_percent=100, maximum_percent=200)
        # Two saturated cores: a booting task's checks get 1.25 s and 5 tries, 30 s grace.
        .with_target_group(
            interval_s=INTERVAL_S,
            timeout_s=25,
            healthy_threshold=2,
            unhealthy_threshold=5,
            deregistration_delay_s=DEREGISTRATION_DELAY_S,
        )
        .with_grace_period(600)
    )
    with service:
        service.wait_stable()
        service.wait_rollout_state("COMPLETED", timeout_s=60)
        service.wait_targets_healthy()
        old = service.task_ids()
        clock = ReadinessClock(service, old, service.target_group.health_check_path)
        fired: dict[str, object] = {}

        def trigger() -> None:
            fired["at"] = time.time()
            fired["deployment"] = service.force_new_deployment()
            clock.start()

        try:
            result = run_rollout_loadtest(
                target_url=service.lb_url,
                users=USERS,
                rate=RATE,
                duration_s=DURATION_S,
                trigger_at_s=TRIGGER_AT_S,
                trigger=trigger,
                events_source=service_events(service.ecs, service.cluster, service.name),
                out_dir=tmp_path,
                processes=PROCESSES,
                gates=GateThresholds(
                    max_error_rate_pct=0.0,
                    max_p99_ms=2000.0,
                    max_mixed_version_window_s=60.0,
                    min_requests=1000,
                ),
                traffic=LoadSettings(model_name=release.manifest.name),
            )
        finally:
            clock.stop()

        summary = result.report.summary
        deployment = str(fired["deployment"])
        service.wait_rollout_state("COMPLETED", deployment, timeout_s=120)
        completed = [
            e
            for e in service.describe()["events"]
            if f"(deployment {deployment}) deployment completed" in e["message"]
        ]
        assert completed, service.diagnosis()
        print("\n" + "\n".join(service.events()))
        duration_s = completed[0]["createdAt"].timestamp() - float(fired["at"])  # type: ignore[arg-type]
        created = {
            t["taskArn"].rsplit("/", 1)[-1]: t["createdAt"].timestamp() for t in service.tasks()
        }
        new = set(created) - old
        assert len(new) == DESIRED and set(clock.ready) >= new, (clock.ready, new)
        start_to_ready = max(clock.ready[t] - created[t] for t in new)
        # A new target is healthy at its first passing check: not before it answers ready,
        # and not before one check interval after it was registered (checks run on a
        # fixed tick from registration, so the wait for the tick overlaps the start-up).
        check_s = INTERVAL_S * drydock_time_scale
        lower_bound = max(start_to_ready, check_s) + DEREGISTRATION_DELAY_S * drydock_time_scale
        ratio = duration_s / lower_bound
        rolling = [
            b.requests
            for second, b in enumerate(result.report.timeline)
            if TRIGGER_AT_S <= second < TRIGGER_AT_S + duration_s
        ]
        print(
            f"\nrequests/s while rolling: min {min(rolling, default=0)}, "
            f"mean {sum(rolling) / max(1, len(rolling)):.0f} (target {RATE:.0f})"
        )
        print(
            f"\nachieved {summary.achieved_rps:.1f} requests/s; {summary.requests} requests, "
            f"{summary.errors} errors, p99 {summary.p99_ms} ms; gates "
            f"{[(g.name, g.passed) for g in result.gates]}"
        )
        print(
            f"rollout {duration_s:.2f} s; lower bound {lower_bound:.2f} s (max(start-to-ready "
            f"{start_to_ready:.2f} s, first check {check_s:.2f} s) + drain "
            f"{DEREGISTRATION_DELAY_S * drydock_time_scale:.2f} s); ratio {ratio:.2f}"
        )
        assert summary.errors == 0, [g.reason for g in result.failed_gates]
        assert result.passed, [(g.name, g.reason) for g in result.failed_gates]
        assert summary.achieved_rps >= FLOOR, summary.achieved_rps
        assert duration_s >= lower_bound - 0.1, "faster than physically possible: a bug"
        assert ratio < 1.5, f"rollout took {ratio:.2f}x its lower bound"
        assert not drydock_emulator.driver.errors  # type: ignore[union-attr]


def test_drydock_loadtest_is_a_cli_command() -> None:
    drydock = Path(sys.executable).with_name("drydock")
    shown = subprocess.run(
        [str(drydock), "loadtest", "--help"], capture_output=True, text=True, timeout=60, check=True
    )
    assert "--trigger-at" in shown.stdout and "--target-url" in shown.stdout
