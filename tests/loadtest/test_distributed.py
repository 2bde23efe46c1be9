"""``drydock loadtest --master`` with workers started apart, as on other machines.

The workers are separate ``drydock loadtest --worker`` processes on 127.0.0.1 with no
settings of their own. A locust master runs no users, so every request recorded came
from them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.loadtest.command import loadtest
from harness.stack.ports import free_port
from tests.loadtest.fake_rollout_server import FakeRollout, serve

DRYDOCK = Path(sys.executable).with_name("drydock")
RATE = 20.0
DURATION_S = 6.0
pytestmark = pytest.mark.timeout(180)


def start_worker(port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [str(DRYDOCK), "loadtest", "--worker", "--master-host", "127.0.0.1"]
    command += ["--master-port", str(port)]
    with log.open("wb") as out:
        return subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def test_master_runs_the_rollout_with_workers_started_apart(tmp_path: Path) -> None:
    port = free_port()
    workers = [start_worker(port, tmp_path / f"worker-{i}.log") for i in range(2)]
    app = FakeRollout()
    try:
        with serve(app) as url:
            outcome = CliRunner().invoke(
                loadtest,
                [
                    "--target-url", url, "--ecs-endpoint", url,
                    "--cluster", "default", "--service", "web",
                    "--users", "4", "--rate", str(RATE),
                    "--duration", str(DURATION_S), "--trigger-at", "2.5",
                    "--master", "--expect-workers", "2", "--master-bind-port", str(port),
                    "--model-name", "fleet", "--out", str(tmp_path / "out"),
                ],
            )  # fmt: skip
        codes = [w.wait(timeout=60) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
    assert outcome.exit_code == 0, outcome.output
    assert codes == [0, 0], [(tmp_path / f"worker-{i}.log").read_text()[-500:] for i in (0, 1)]
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert data["parameters"]["external workers"] == 2
    requests = data["summary"]["requests"]
    assert requests == data["parameters"]["locust request count"]
    assert 0.7 * RATE * DURATION_S <= requests <= 1.3 * RATE * DURATION_S
    assert data["summary"]["errors"] == 0
    # The workers took the master's traffic settings (model name, mix) with no env of theirs.
    endpoints = {row.split(",")[5] for row in (tmp_path / "out" / "requests.csv").open()}
    assert "/v2/models/fleet/infer" in endpoints and "/predict (batch)" in endpoints
    assert app.update_calls == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--worker"], "--worker needs --master-host"),
        (["--master", "--processes", "2"], "--master and --processes exclude each other"),
    ],
)
def test_impossible_role_combinations_are_one_line_errors(args: list[str], message: str) -> None:
    outcome = CliRunner().invoke(loadtest, args)
    assert outcome.exit_code == 1
    assert message in outcome.output
