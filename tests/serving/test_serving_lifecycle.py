"""Readiness states, the SIGTERM wrapper, settings rules and the gunicorn config values."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from serving.app import create_app
from serving.errors import ModelLoadError
from serving.lifecycle import Lifecycle, drain_on_signals
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
    assert ready.json["error"]["message"] == "draining: SIGTERM received"
    assert client.get("/v2/models/iris/ready").status_code == 503
    assert client.get("/v2/health/live").status_code == 200
    # in-flight and late requests are still answered while the balancer drains us
    assert client.post("/predict", json={"instances": [[1, 2, 3, 4]]}).status_code == 200


def test_sigterm_wrapper_flips_readiness_then_calls_the_previous_handler() -> None:
    lifecycle = Lifecycle()
    lifecycle.loaded = lifecycle.warmed_up = True
    seen: list[tuple[int, bool]] = []
    saved = signal.getsignal(signal.SIGUSR2)
    try:
        drain_on_signals(
            lifecycle, {signal.SIGUSR2: lambda sig, frame: seen.append((sig, lifecycle.ready))}
        )
        os.kill(os.getpid(), signal.SIGUSR2)
        # handlers run in the main thread between bytecodes: by now it has run
        assert seen == [(signal.SIGUSR2, False)]
        assert lifecycle.drain_reason == "SIGUSR2 received"
    finally:
        signal.signal(signal.SIGUSR2, saved)


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
    ],
)
def test_timeouts_that_would_drop_requests_are_refused(
    overrides: dict[str, int], message: str
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
