"""SIGTERM to a serving task during a steady request stream through the balancer.

No drain first: the signal lands while the load balancer still sends the task
traffic (a task killed by a scale-in race, an operator's ``docker stop``, a spot
interruption). gunicorn must report not-ready, finish what is in flight and exit 0
within its graceful timeout; the balancer must route new requests elsewhere; and
the service must replace the task. What clients see is the verdict.
"""

from __future__ import annotations

import time

import pytest

from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.testing import ClientLoad, Isolation, LocalCloud
from harness.testing.serving import serving_service

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]

GRACEFUL_TIMEOUT_S = 20  # serving/settings.py default, below the task's stopTimeout


def test_sigterm_under_a_steady_stream_loses_no_request(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
) -> None:
    service, _ = serving_service(
        drydock_emulator, drydock_isolation, drydock_cloud, drydock_serving_image.by_digest
    )
    service.with_desired_count(2).with_grace_period(600)
    with service:
        service.wait_stable()
        service.wait_rollout_state("COMPLETED", timeout_s=60)
        service.wait_targets_healthy()
        before = service.task_ids()
        victim = sorted(before)[0]
        container = service.task_containers()[victim]
        with ClientLoad(service.lb_url, threads=3, pause_s=0.01) as load:
            time.sleep(1.0)
            signalled_at = time.monotonic()
            container.kill(signal="SIGTERM")
            outcome = container.wait(timeout=GRACEFUL_TIMEOUT_S + 10)
            exited_at = time.monotonic()
            deadline = time.monotonic() + 120
            while victim in service.task_ids() and time.monotonic() < deadline:
                time.sleep(0.2)
            service.wait_stable()
            service.wait_targets_healthy()
            time.sleep(1.0)
        after = service.task_ids()

    during = [r for r in load.responses if signalled_at <= r.at <= exited_at]
    print(
        f"\nexit {outcome['StatusCode']} after {exited_at - signalled_at:.1f} s; "
        f"{len(load.responses)} requests, {len(during)} while the task shut down, "
        f"failed {[(round(f.at - signalled_at, 2), f.status, f.error[:50]) for f in load.failures]}"
    )
    assert outcome["StatusCode"] == 0, "gunicorn drains and exits cleanly on SIGTERM"
    assert exited_at - signalled_at < GRACEFUL_TIMEOUT_S + 5
    assert len(during) > 0, "the stream ran while the task shut down"
    assert load.failures == [], "no client request was lost"
    assert victim not in after and len(after) == 2, "the service replaced the task"
