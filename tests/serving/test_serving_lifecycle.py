"""Readiness states, the SIGTERM wrapper, settings rules and the gunicorn config values."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from serving.app import create_app
from serving.errors import ModelLoadError
from serving.lifecycle import Lifecycle, drain_on_signals, wait_for_quiet
from serving.model_loading import ServedModel
from serving.settings import ServingSettings, describe_invalid_settings
from serving.state import EXTENSION_KEY


def test_not_ready_until_loaded_and_warmed_up() -> None:
    lifecycle = Lifecycle()
    assert not lifecycle.ready
    assert lifecycle.not_ready_reason() == "model not loaded"
    lifecycle.loaded = True
    assert not lifecycle.ready
    assert "warm-up" in lifecycle.not_ready_reason()
    lifecycle.warmed_up = True
    assert lifecycle.ready
    lifecycle.start_draining("SIGTERM received")
    assert not lifecycle.ready
    assert lifecycle.not_ready_reason() == "draining: SIGTERM received"


def test_ready_endpoints_report_draining_while_serving_continues(
    settings: ServingSettings, served_iris: ServedModel
) -> None:
    app = create_app(settings, model=served_iris)
    client = app.test_client()
    assert client.get("/v2/health/ready").status_code == 200
    app.extensions[EXTENSION_KEY].lifecycle.start_draining("SIGTERM received")
    ready = client.get("/v2/health/ready")
    assert ready.status_code == 503
    assert ready.json["error"] == "draining: SIGTERM received"
    assert client.get("/v2/models/iris/ready").status_code == 503
    assert client.get("/v2/health/live").status_code == 200
    # in-flight and late requests are still answered while the balancer drains us
    assert client.post("/predict", json={"instances": [[1, 2, 3, 4]]}).status_code == 200


def test_graceful_signal_flips_readiness_at_once_and_stops_after_the_linger() -> None:
    lifecycle = Lifecycle()
    lifecycle.loaded = lifecycle.warmed_up = True
    release = threading.Event()
    stopped = threading.Event()
    seen: list[tuple[int, bool]] = []

    def linger() -> str:
        release.wait(5)
        return "released"

    def previous(sig: int, frame: Any) -> None:
        seen.append((sig, lifecycle.ready))
        stopped.set()

    saved = signal.getsignal(signal.SIGUSR2)
    try:
        drain_on_signals(
            lifecycle, graceful={signal.SIGUSR2: previous}, immediate={}, linger=linger
        )
        os.kill(os.getpid(), signal.SIGUSR2)
        # handlers run in the main thread between bytecodes: readiness flipped by now,
        # but the server's own handler waits for the linger
        assert not lifecycle.ready
        assert lifecycle.drain_reason == "SIGUSR2 received"
        assert not stopped.wait(0.2)
        os.kill(os.getpid(), signal.SIGUSR2)  # a second signal starts no second linger
        release.set()
        assert stopped.wait(5)
        assert seen == [(signal.SIGUSR2, False)]
    finally:
        signal.signal(signal.SIGUSR2, saved)


def test_immediate_signal_calls_the_previous_handler_at_once() -> None:
    lifecycle = Lifecycle()
    lifecycle.loaded = lifecycle.warmed_up = True
    seen: list[tuple[int, bool]] = []
    saved = signal.getsignal(signal.SIGUSR2)
    try:
        drain_on_signals(
            lifecycle,
            graceful={},
            immediate={signal.SIGUSR2: lambda sig, frame: seen.append((sig, lifecycle.ready))},
            linger=lambda: "unused",
        )
        os.kill(os.getpid(), signal.SIGUSR2)
        assert seen == [(signal.SIGUSR2, False)]
    finally:
        signal.signal(signal.SIGUSR2, saved)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_linger_ends_at_once_when_no_client_request_came() -> None:
    clock = FakeClock()
    reason = wait_for_quiet(Lifecycle(), 1.0, 10.0, clock=clock, sleep=clock.sleep)
    assert reason == "no client request for 1 s"
    assert clock.now == 100.0


def test_linger_waits_for_a_quiet_period_after_the_last_request() -> None:
    clock = FakeClock()
    lifecycle = Lifecycle()
    lifecycle.last_traffic_at = clock.now - 0.25
    assert wait_for_quiet(lifecycle, 1.0, 10.0, clock=clock, sleep=clock.sleep).startswith(
        "no client"
    )
    assert clock.now == pytest.approx(100.75, abs=0.06)


def test_linger_gives_up_after_the_max_wait_while_traffic_continues() -> None:
    clock = FakeClock()
    lifecycle = Lifecycle()
    lifecycle.last_traffic_at = clock.now

    def busy_sleep(seconds: float) -> None:
        clock.sleep(seconds)
        lifecycle.last_traffic_at = clock.now  # a request in every interval

    reason = wait_for_quiet(lifecycle, 1.0, 3.0, clock=clock, sleep=busy_sleep)
    assert reason == "client requests still arriving after 3 s; stopping anyway"
    assert clock.now == pytest.approx(103.0, abs=0.06)


def test_client_requests_count_as_traffic_and_probes_do_not(
    settings: ServingSettings, served_iris: ServedModel
) -> None:
    app = create_app(settings, model=served_iris)
    lifecycle = app.extensions[EXTENSION_KEY].lifecycle
    client = app.test_client()
    for probe in ("/v2/health/ready", "/v2/health/live", "/v2/models/iris/ready", "/metrics"):
        assert client.get(probe).status_code == 200
    assert lifecycle.last_traffic_at == float("-inf")
    assert client.post("/predict", json={"instances": [[1, 2, 3, 4]]}).status_code == 200
    assert lifecycle.last_traffic_at > float("-inf")


def test_a_model_that_cannot_predict_never_becomes_ready(settings: ServingSettings) -> None:
    class Broken:
        n_features_in_ = 4

        def predict(self, matrix: np.ndarray) -> Any:
            raise RuntimeError("weights missing")

    with pytest.raises(ModelLoadError, match="warm-up prediction failed: RuntimeError"):
        create_app(settings, model=ServedModel.from_estimator(Broken()))


def test_settings_come_from_drydock_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRYDOCK_MODEL_URI", "s3://b/models/iris/latest")
    monkeypatch.setenv("DRYDOCK_TASK_ID", "task-9")
    monkeypatch.setenv("DRYDOCK_WORKERS", "3")
    monkeypatch.setenv("DRYDOCK_SKOPS_TRUSTED_TYPES", '["a.B"]')
    loaded = ServingSettings()
    assert loaded.model_uri == "s3://b/models/iris/latest"
    assert (loaded.task_id, loaded.workers, loaded.skops_trusted_types) == ("task-9", 3, ["a.B"])


def test_task_id_defaults_to_the_hostname(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    monkeypatch.delenv("DRYDOCK_TASK_ID", raising=False)
    assert ServingSettings().task_id == socket.gethostname()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"graceful_timeout": 30}, "shorter than the ECS stopTimeout"),
        ({"keepalive": 60}, "longer than the load balancer's idle timeout"),
        ({"graceful_timeout": 10}, "drain_max_wait 10s must be shorter than graceful_timeout"),
    ],
)
def test_timeouts_that_would_drop_requests_are_refused(
    overrides: dict[str, float], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        ServingSettings(**overrides)


def test_invalid_setting_is_described_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRYDOCK_THREADS", "many")
    with pytest.raises(ValidationError) as caught:
        ServingSettings()
    line = describe_invalid_settings(caught.value)
    assert line.startswith("invalid configuration: DRYDOCK_THREADS: ")
    assert "\n" not in line


def test_gunicorn_config_values(tmp_path: Any) -> None:
    """Imported in a child: the config sets process-wide variables on import."""
    script = (
        "import json, os, serving.gunicorn_conf as c;"
        "print(json.dumps({k: getattr(c, k) for k in ('bind', 'worker_class', 'workers',"
        "'threads', 'timeout', 'graceful_timeout', 'keepalive', 'preload_app', 'wsgi_app')}"
        " | {'multiproc': os.environ['PROMETHEUS_MULTIPROC_DIR']}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRYDOCK_")}
    env["DRYDOCK_METRICS_DIR"] = str(tmp_path / "metrics")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout
    config = json.loads(out)
    assert config == {
        "bind": "0.0.0.0:8080",
        "worker_class": "gthread",
        "workers": 2,
        "threads": 4,
        "timeout": 30,
        "graceful_timeout": 20,
        "keepalive": 75,
        "preload_app": True,
        "wsgi_app": "serving.wsgi:app",
        "multiproc": str(tmp_path / "metrics"),
    }
    assert config["keepalive"] > 60  # ALB idle timeout
    assert config["graceful_timeout"] < 30  # ECS stopTimeout
