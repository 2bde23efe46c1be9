"""The runner's parts that need no traffic: options, locust's command line, events."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.loadtest.config import LoadSettings
from harness.loadtest.deployment_events import EventCollector
from harness.loadtest.errors import LoadTestError
from harness.loadtest.locust_process import LOCUSTFILE, LocustLaunch
from harness.loadtest.runner import run_rollout_loadtest


def never() -> None:
    raise AssertionError("the trigger must not fire")


@pytest.mark.parametrize(
    ("users", "rate", "duration", "trigger_at", "processes", "says"),
    [
        (0, 10, 10, 1, 1, "users"),
        (1, 0, 10, 1, 1, "rate"),
        (1, 10, 0.5, 0, 1, "duration"),
        (1, 10, 10, 10, 1, "trigger-at"),
        (1, 10, 10, -1, 1, "trigger-at"),
        (1, 10, 10, 1, 0, "processes"),
    ],
)
def test_bad_options_are_refused_before_anything_starts(
    tmp_path: Path, users: int, rate: float, duration: float, trigger_at: float, processes: int,
    says: str,
) -> None:  # fmt: skip
    with pytest.raises(LoadTestError, match=says):
        run_rollout_loadtest(
            "http://127.0.0.1:9", users, rate, duration, trigger_at, never, None, tmp_path,
            processes=processes,
        )  # fmt: skip


def test_locust_command_line_and_environment(tmp_path: Path) -> None:
    settings = LoadSettings(user_rate=2.5, model_name="m", records_path=tmp_path / "r.csv")
    launch = LocustLaunch("http://127.0.0.1:1234", 4, 6.0, 3, settings, tmp_path)
    command = launch.command()
    assert command[:3] == [sys.executable, "-m", "locust"]
    assert command[command.index("-f") + 1] == str(LOCUSTFILE) and LOCUSTFILE.is_file()
    assert command[command.index("--host") + 1] == "http://127.0.0.1:1234"
    assert command[command.index("--run-time") + 1] == "6s"
    assert command[command.index("--processes") + 1] == "3"
    assert "--headless" in command
    env = launch.environment()
    assert env["DRYDOCK_LOAD_USER_RATE"] == "2.5"
    assert env["DRYDOCK_LOAD_MODEL_NAME"] == "m"
    single = LocustLaunch("http://x", 1, 6.0, 1, settings, tmp_path).command()
    assert "--processes" not in single


def test_settings_travel_through_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    original = LoadSettings(user_rate=3.0, infer_weight=0, batch_rows=4, model_name="m2")
    for name, value in original.to_env().items():
        monkeypatch.setenv(name, value)
    assert LoadSettings() == original


def test_an_empty_traffic_mix_is_refused() -> None:
    with pytest.raises(ValueError, match="traffic mix is empty"):
        LoadSettings(predict_weight=0, batch_weight=0, infer_weight=0)


def test_importing_the_runner_leaves_gevent_out_of_the_caller() -> None:
    code = "import sys, harness.loadtest.command; assert 'locust' not in sys.modules, 'locust'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def test_events_are_deduplicated_and_old_history_dropped() -> None:
    answers = [
        [{"createdAt": 5.0, "message": "old"}],
        [{"createdAt": 12.0, "message": "started"}, {"createdAt": 5.0, "message": "old"}],
        [{"createdAt": 13.0, "message": "steady"}, {"createdAt": 12.0, "message": "started"}],
    ]
    collector = EventCollector(lambda: answers.pop(0), since=10.0)
    for _ in range(3):
        collector.poll()
    assert [(e.at, e.message) for e in collector.events()] == [(12.0, "started"), (13.0, "steady")]
    assert collector.failures == 0


def test_a_failing_events_source_is_counted_and_polling_goes_on() -> None:
    calls = iter([RuntimeError("throttled"), [{"createdAt": 11.0, "message": "ok"}]])

    def source() -> list[dict]:
        answer = next(calls)
        if isinstance(answer, Exception):
            raise answer
        return answer

    collector = EventCollector(source, since=10.0)
    collector.poll()
    collector.poll()
    assert collector.failures == 1 and collector.last_error == "RuntimeError: throttled"
    assert [e.message for e in collector.events()] == ["ok"]


def test_no_events_source_means_no_events() -> None:
    collector = EventCollector(None, since=0)
    collector.poll()
    assert collector.events() == []
