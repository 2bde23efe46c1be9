"""The SLO gates can fail: a rollout made to drop requests on purpose fails the run.

minimumHealthyPercent 0 lets the scheduler stop every old task before a new one
is healthy, and a deregistration delay of 0 cuts draining short: for a moment no
target serves and HAProxy answers 503. The same runner that passes the clean
4-task rollout must fail this one, name the error-budget gate, and say so in the
report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.loadtest.config import LoadSettings
from harness.loadtest.ecs_hooks import service_events
from harness.loadtest.runner import run_rollout_loadtest
from harness.report.gates import GateThresholds
from harness.testing import Isolation, LocalCloud
from harness.testing.serving import serving_service

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]


def test_a_rollout_that_drops_requests_fails_the_error_budget_gate(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
    tmp_path: Path,
) -> None:
    service, release = serving_service(
        drydock_emulator, drydock_isolation, drydock_cloud, drydock_serving_image.by_digest
    )
    (
        service.with_desired_count(2)
        .with_deployment(minimum_healthy_percent=0, maximum_percent=100)
        .with_target_group(deregistration_delay_s=0)
        .with_grace_period(600)
    )
    with service:
        service.wait_stable()
        service.wait_rollout_state("COMPLETED", timeout_s=60)
        service.wait_targets_healthy()
        result = run_rollout_loadtest(
            target_url=service.lb_url,
            users=4,
            rate=40.0,
            duration_s=25.0,
            trigger_at_s=4.0,
            trigger=service.force_new_deployment,
            events_source=service_events(service.ecs, service.cluster, service.name),
            out_dir=tmp_path,
            gates=GateThresholds(max_error_rate_pct=0.0, min_requests=100),
            traffic=LoadSettings(model_name=release.manifest.name),
        )

    summary = result.report.summary
    assert summary.errors > 0, "a 0 % minimum with no draining must drop requests"
    assert not result.passed
    assert [gate.name for gate in result.failed_gates] == ["error_rate"]
    html = result.files.html.read_text()
    assert "FAIL" in html and "error_rate" in html
