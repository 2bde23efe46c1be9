"""Real traffic through locust against a local fake that switches model versions.

No docker and no emulator: the fake answers ``X-Model-Version`` "1" and moves
to "2" when the trigger fires. Each run is about 6 s of load at 20 requests/s.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.loadtest.command import loadtest
from harness.loadtest.runner import run_rollout_loadtest
from harness.report.gates import GateThresholds
from tests.loadtest.fake_rollout_server import FakeRollout, serve

DURATION_S = 6.0
TRIGGER_AT_S = 2.5
RATE = 20.0
pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("processes", [1, 2], ids=["local", "distributed"])
def test_a_clean_rollout_moves_traffic_from_version_1_to_2(tmp_path: Path, processes: int) -> None:
    app = FakeRollout()
    with serve(app) as url:
        result = run_rollout_loadtest(
            target_url=url,
            users=4,
            rate=RATE,
            duration_s=DURATION_S,
            trigger_at_s=TRIGGER_AT_S,
            trigger=app.deploy,
            events_source=app.events,
            out_dir=tmp_path,
            processes=processes,
            gates=GateThresholds(max_mixed_version_window_s=1.0, min_requests=60),
        )
    report = result.report
    summary = report.summary
    assert app.update_calls == 1
    # Every request locust counted (one master and two workers, when distributed) is in our
    # records, and the target rate was about reached.
    assert summary.requests == result.locust_request_count
    assert 0.7 * RATE * DURATION_S <= summary.requests <= 1.3 * RATE * DURATION_S
    assert summary.errors == 0
    assert {r.endpoint for r in report.run.records} == {
        "/predict",
        "/predict (batch)",
        "/v2/models/iris/infer",
    }
    assert [v.version for v in summary.versions] == ["1", "2"]
    # The version share moves from all "1" to all "2".
    series = [b.versions for b in report.timeline if b.requests]
    assert set(series[0]) == {"1"} and set(series[-1]) == {"2"}
    assert summary.mixed_version_window_s < 1.0
    # Deployment events: the trigger mark and ECS's, without the old history.
    messages = [e.message for e in report.run.events]
    assert messages[0] == "deployment triggered"
    assert "(service web) has reached a steady state." in messages
    assert "(service web) old history" not in messages
    assert summary.rollout_duration_s == pytest.approx(1.0, abs=0.3)
    assert result.passed, [g.reason for g in result.failed_gates]
    for path in (result.files.html, result.files.json, result.files.csv):
        assert path.is_file() and path.stat().st_size > 0
    data = json.loads(result.files.json.read_text())
    assert data["passed"] is True and data["series"]


def test_a_502_window_fails_the_error_gate_and_the_command_names_it(tmp_path: Path) -> None:
    app = FakeRollout(outage_s=1.0)
    with serve(app) as url:
        outcome = CliRunner().invoke(
            loadtest,
            [
                "--target-url", url,
                "--users", "4",
                "--rate", str(RATE),
                "--duration", str(DURATION_S),
                "--trigger-at", str(TRIGGER_AT_S),
                "--cluster", "default",
                "--service", "web",
                "--endpoint-url", url,
                "--out", str(tmp_path),
                "--screenshot",
            ],
        )  # fmt: skip
    assert outcome.exit_code == 3, outcome.output
    assert "SLO gate(s) failed: error_rate" in outcome.output
    assert app.update_calls == 1
    assert (tmp_path / "report.png").stat().st_size > 20_000
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["failed_gates"] == ["error_rate"]
    errors = [s["errors"] for s in data["series"]]
    assert sum(errors) >= 5
    first_error = next(i for i, n in enumerate(errors) if n)
    assert TRIGGER_AT_S - 1 <= first_error <= TRIGGER_AT_S + 1
    assert "has reached a steady state" in json.dumps(data["events"])


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--max-error-rate", "-1"),
        ("--max-error-rate", "101"),
        ("--max-p99-ms", "0"),
        ("--max-mixed-window", "-5"),
        ("--min-requests", "-1"),
    ],
)
def test_impossible_gate_values_are_refused_before_anything_runs(option: str, value: str) -> None:
    outcome = CliRunner().invoke(loadtest, [option, value, "--endpoint-url", "http://127.0.0.1:9"])
    assert outcome.exit_code == 2, outcome.output
    assert option in outcome.output and value in outcome.output


def test_the_old_flag_name_still_reaches_the_same_endpoint(tmp_path: Path) -> None:
    """``--ecs-endpoint`` (before ``--endpoint-url`` was the one name) keeps working."""
    app = FakeRollout(outage_s=0.0)
    with serve(app) as url:
        outcome = CliRunner().invoke(
            loadtest,
            [
                "--target-url", url, "--users", "2", "--rate", "20", "--duration", "2",
                "--trigger-at", "0.5", "--cluster", "default", "--service", "web",
                "--ecs-endpoint", url, "--out", str(tmp_path),
            ],
        )  # fmt: skip
    assert app.update_calls == 1, outcome.output
