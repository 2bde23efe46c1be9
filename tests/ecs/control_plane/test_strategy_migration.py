"""A service changes its deployment strategy only with no deployment in progress (AWS)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.ecs.control_plane.errors import InvalidParameterException
from harness.ecs.domain import DeploymentStrategy, RolloutState
from tests.ecs.conftest import FakeClock
from tests.ecs.control_plane.test_journal_deployments import Incarnation
from tests.ecs.control_plane.test_journal_target_group_roles import set_up


def test_blue_green_to_rolling_is_refused_while_a_deployment_is_in_progress(
    tmp_path: Path,
) -> None:
    inc = Incarnation(tmp_path / "journal.jsonl", FakeClock())
    set_up(inc)  # its first deployment waits for healthy targets: IN_PROGRESS
    assert inc.service.primary.rollout_state is RolloutState.IN_PROGRESS
    with pytest.raises(InvalidParameterException) as refused:
        inc.call(
            "update_service",
            cluster="c",
            service="web",
            deploymentConfiguration={"strategy": "ROLLING"},
        )
    message = refused.value.message
    assert "from BLUE_GREEN to ROLLING" in message and inc.service.primary.id in message
    assert inc.service.deployment_configuration.strategy is DeploymentStrategy.BLUE_GREEN


def test_blue_green_to_rolling_once_settled_keeps_the_load_balancers(tmp_path: Path) -> None:
    inc = Incarnation(tmp_path / "journal.jsonl", FakeClock())
    set_up(inc)
    inc.service.primary.rollout_state = RolloutState.COMPLETED  # as once its targets are healthy
    balancers = inc.service.load_balancers
    inc.call(
        "update_service",
        cluster="c",
        service="web",
        deploymentConfiguration={"strategy": "ROLLING"},
    )
    assert inc.service.deployment_configuration.strategy is DeploymentStrategy.ROLLING
    assert inc.service.load_balancers == balancers
    # and back again, still settled
    inc.call(
        "update_service",
        cluster="c",
        service="web",
        deploymentConfiguration={"strategy": "CANARY"},
    )
    assert inc.service.deployment_configuration.strategy is DeploymentStrategy.CANARY
