"""HAProxy server status -> ALB target health state and reason code."""

from __future__ import annotations

import pytest

from harness.ecs.balancer.health import target_state
from harness.ecs.balancer.model import HealthCheck, TargetHealthReason, TargetHealthState
from harness.ecs.balancer.stats import ServerStats, parse_show_stat

HC = HealthCheck(interval_s=1.0, timeout_s=0.5, unhealthy_threshold=2)

SHOW_STAT = (
    "# pxname,svname,scur,status,weight,chkdown,check_status,check_code,bck\n"
    "tg-web,t-a,1,UP,1,1,L7OK,200,0\n"
    "tg-web,t-a-fo,0,no check,1,,,,1\n"
    "tg-web,BACKEND,1,UP,1,0,,,0\n"
)


def _row(status: str, check: str = "L7OK", code: int | None = 200, downs: int = 1) -> ServerStats:
    return ServerStats("tg-web", "t-a", status, check, code, 0, downs, False)


def test_show_stat_rows_parse_by_column_name() -> None:
    rows = parse_show_stat(SHOW_STAT)
    assert [r.server for r in rows] == ["t-a", "t-a-fo"]
    assert rows[0].current_sessions == 1 and rows[0].check_code == 200
    assert rows[1].backup and rows[1].check_code is None


@pytest.mark.parametrize(
    ("row", "since", "state", "reason"),
    [
        (_row("DOWN", "INI", None), 0.1, "initial", "Elb.RegistrationInProgress"),
        (_row("DOWN", "L4CON", None), 0.5, "initial", "Elb.InitialHealthChecking"),
        (_row("DOWN", "L4CON", None), 2.5, "unhealthy", "Target.FailedHealthChecks"),
        (_row("UP"), 9.0, "healthy", None),
        (_row("UP 1/2", "L7STS", 500), 9.0, "healthy", None),
        (_row("DOWN", "L7STS", 500, downs=2), 9.0, "unhealthy", "Target.ResponseCodeMismatch"),
        (_row("DOWN", "L7TOUT", None, downs=2), 0.1, "unhealthy", "Target.Timeout"),
        (_row("DOWN", "L4TOUT", None, downs=2), 0.1, "unhealthy", "Target.Timeout"),
        (_row("MAINT"), 9.0, "unused", "Target.NotRegistered"),
    ],
)
def test_states_and_reasons(row: ServerStats, since: float, state: str, reason: str | None) -> None:
    got_state, got_reason, _ = target_state(
        row, HC, draining=False, seconds_since_registration=since
    )
    assert got_state == TargetHealthState(state)
    assert got_reason == (TargetHealthReason(reason) if reason else None)


def test_draining_wins_over_any_check_result() -> None:
    state, reason, _ = target_state(_row("DRAIN"), HC, draining=True, seconds_since_registration=1)
    assert state is TargetHealthState.DRAINING
    assert reason is TargetHealthReason.DEREGISTRATION_IN_PROGRESS


def test_response_code_mismatch_names_the_code_like_alb() -> None:
    _, _, description = target_state(
        _row("DOWN", "L7STS", 503, downs=2), HC, draining=False, seconds_since_registration=9
    )
    assert description == "Health checks failed with these codes: [503]"
