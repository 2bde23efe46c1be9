"""Clients of the model behind the load balancer, during a rolling deployment.

Run by :func:`harness.loadtest.runner.run_rollout_loadtest`, or by hand:

    DRYDOCK_LOAD_USER_RATE=5 locust -f loadtests/locustfile.py --headless \\
        --host http://127.0.0.1:8080 -u 4 -r 4 -t 30s [--processes 2]

The mix (``DRYDOCK_LOAD_*``, see :class:`harness.loadtest.config.LoadSettings`):
``POST /predict`` with one row, with a small batch, and the Open Inference
Protocol ``POST /v2/models/<name>/infer``. Each user runs at
``DRYDOCK_LOAD_USER_RATE`` requests per second (locust's ``constant_throughput``),
so ``users * user_rate`` is the target rate as long as answers come back faster
than ``1 / user_rate``.

Every request (time, status, latency, X-Model-Version, X-Task-Id, endpoint,
error) goes to ``DRYDOCK_LOAD_RECORDS_PATH`` through :mod:`harness.loadtest.recorder`;
in distributed mode the workers ship their rows to the master in locust's own
worker reports, and the master writes the one file.

The client is locust's ``FastHttpUser`` (geventhttpclient): several times cheaper per
request than ``HttpUser`` (requests), which is what lets one core drive the rollout's
load. Workers started on other machines (``drydock loadtest --worker``) learn the
master's settings from the ``--drydock-load`` argument locust forwards to them with
every spawn, so their environment needs nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from locust import FastHttpUser, constant_throughput, events
from locust.env import Environment

from harness.loadtest.config import LoadSettings
from harness.loadtest.recorder import RequestRecorder

SETTINGS = LoadSettings()
#: The custom locust argument carrying the master's LoadSettings (JSON) to its workers.
SETTINGS_ARGUMENT = "--drydock-load"
RequestRecorder(SETTINGS.records_path, SETTINGS.started_path).install()

# One iris-like row: sepal length/width, petal length/width (cm).
FEATURE_RANGES = ((4.3, 7.9), (2.0, 4.4), (1.0, 6.9), (0.1, 2.5))


def random_row() -> list[float]:
    return [round(random.uniform(low, high), 1) for low, high in FEATURE_RANGES]


def post_checked(user: FastHttpUser, path: str, name: str, body: dict[str, Any]) -> None:
    """POST and count anything but a 2xx as an error (locust alone lets 1xx/3xx pass)."""
    with user.client.post(path, json=body, name=name, catch_response=True) as response:
        if not 200 <= response.status_code < 300:
            response.failure(f"HTTP {response.status_code}: {response.text[:200]}")


def predict_one(user: FastHttpUser) -> None:
    post_checked(user, "/predict", "/predict", {"instances": [random_row()]})


def predict_batch(user: FastHttpUser) -> None:
    rows = [random_row() for _ in range(SETTINGS.batch_rows)]
    post_checked(user, "/predict", "/predict (batch)", {"instances": rows})


def oip_infer(user: FastHttpUser) -> None:
    row = random_row()
    body = {
        "inputs": [{"name": "input-0", "shape": [1, len(row)], "datatype": "FP32", "data": row}]
    }
    path = f"/v2/models/{SETTINGS.model_name}/infer"
    post_checked(user, path, path, body)


def traffic_mix() -> dict[Callable[[FastHttpUser], None], int]:
    weights = {
        predict_one: SETTINGS.predict_weight,
        predict_batch: SETTINGS.batch_weight,
        oip_infer: SETTINGS.infer_weight,
    }
    return {task: weight for task, weight in weights.items() if weight > 0}


class ModelClient(FastHttpUser):
    """One client; the host is locust's ``--host`` (the load balancer's URL)."""

    wait_time = constant_throughput(SETTINGS.user_rate)
    tasks = traffic_mix()
    network_timeout = SETTINGS.timeout_s
    connection_timeout = SETTINGS.timeout_s


@events.init_command_line_parser.add_listener
def _add_settings_argument(parser: Any) -> None:
    parser.add_argument(
        SETTINGS_ARGUMENT,
        default="",
        help="Drydock's LoadSettings as JSON (set by drydock loadtest; sent to workers)",
        include_in_web_ui=False,
    )


@events.test_start.add_listener
def _apply_shipped_settings(environment: Environment, **_: Any) -> None:
    """On a worker, take the master's traffic settings before any user starts."""
    shipped = getattr(environment.parsed_options, "drydock_load", "")
    if shipped:
        apply(LoadSettings.model_validate_json(shipped))


def apply(settings: LoadSettings) -> None:
    """Make ``settings`` the traffic every user spawned from now on sends."""
    global SETTINGS
    SETTINGS = settings
    ModelClient.wait_time = constant_throughput(settings.user_rate)
    ModelClient.tasks = [task for task, weight in traffic_mix().items() for _ in range(weight)]
    ModelClient.network_timeout = ModelClient.connection_timeout = settings.timeout_s
