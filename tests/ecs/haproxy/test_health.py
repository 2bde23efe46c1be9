"""HAProxy server status -> ALB target health state and reason code (the control plane's)."""

from __future__ import annotations

import pytest

from harness.ecs.control_plane.elbv2.target_health import TargetHealthReason, TargetHealthState
from harness.ecs.haproxy.health import server_health
from harness.ecs.haproxy.stats import ServerStats, parse_show_stat

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
    ("row", "passed", "state", "reason"),
    [
        # A new target: UP with weight 0 and a full health counter until checked.
        (_row("UP", "INI", None), False, "initial", "Elb.RegistrationInProgress"),
        (_row("UP 1/2", "L4CON", None), False, "initial", "Elb.InitialHealthChecking"),
        (_row("UP 1/2", "L7STS", 503), False, "initial", "Elb.InitialHealthChecking"),
        (_row("DOWN", "L4CON", None), False, "unhealthy", "Target.FailedHealthChecks"),
        (_row("UP"), False, "healthy", None),
        (_row("UP"), True, "healthy", None),
        (_row("UP 1/2", "L7STS", 500), True, "healthy", None),
        (_row("DOWN", "L7STS", 500), True, "unhealthy", "Target.ResponseCodeMismatch"),
        (_row("DOWN", "L7TOUT", None), True, "unhealthy", "Target.Timeout"),
        (_row("DOWN", "L4TOUT", None), False, "unhealthy", "Target.Timeout"),
        (_row("MAINT"), True, "unused", "Target.NotRegistered"),
    ],
)
def test_states_and_reasons(row: ServerStats, passed: bool, state: str, reason: str | None) -> None:
    got_state, got_reason, _ = server_health(row, draining=False, passed_once=passed)
    assert got_state == TargetHealthState(state)
    assert got_reason == (TargetHealthReason(reason) if reason else None)


def test_check_in_progress_marker_is_stripped() -> None:
    text = SHOW_STAT.replace(",L7OK,", ",* L4TOUT,")
    assert parse_show_stat(text)[0].check_status == "L4TOUT"


def test_draining_wins_over_any_check_result() -> None:
    state, reason, _ = server_health(_row("DRAIN"), draining=True, passed_once=True)
    assert state is TargetHealthState.DRAINING
    assert reason is TargetHealthReason.DEREGISTRATION_IN_PROGRESS


def test_response_code_mismatch_names_the_code_like_alb() -> None:
    _, _, description = server_health(
        _row("DOWN", "L7STS", 503, downs=2), draining=False, passed_once=False
    )
    assert description == "Health checks failed with these codes: [503]"
