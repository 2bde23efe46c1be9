"""``make demo`` serves the newest published model and never trains over it.

Reported in issue 9: a user published v2 with another regularisation, ran ``make demo``,
and the demo published its own default model as v3 and served that. Here the demo runs
(``run_demo``, what ``make demo`` calls) after a user's v2: it serves v2 through the load
balancer and publishes nothing; a second run changes nothing.

The compose stack is shared, so the demo's model is this test's own (``model_name`` from
the isolation) and its ECS service lives in this test's in-process emulator (the
settings' ECS and load-balancer ports point there). Bringing the compose stack up is
the kit's job, already done: the demo's own ``bring_up`` is replaced by a recorder,
because with these ports it would otherwise recreate the shared stack. So is the push
loop (``seed_and_wait``): the seeded pipelines deploy the compose stack's own
``drydock/model-server`` and model ``iris``, never this test's service or model, so they
cannot change what is asserted here; ``test_push_to_deploy`` runs the demo with them.
"""

from __future__ import annotations

import time
from urllib.parse import urlparse

import pytest
import requests
from rich.console import Console

from harness.aws import aws_client
from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.pipeline import demo
from harness.pipeline.demo_pipelines import DemoPipelines
from harness.pipeline.model_pipeline import release_model
from harness.settings import DrydockSettings
from harness.testing import Isolation, LocalCloud
from harness.testing.load import IRIS_ROW

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]


@pytest.fixture
def drydock_time_scale() -> float:
    """AWS's own durations: the demo's service (health checks every 5 s with a 2 s
    timeout, 30 s grace) is sized for them; scaled by the kit's 0.05 a busy machine's
    model load outlasts a 1.5 s grace and 0.1 s checks, and the breaker trips."""
    return 1.0


def demo_settings(cloud: LocalCloud, names: Isolation, emulator: Emulator) -> DrydockSettings:
    """The demo's model is this test's own; its ECS API and load balancer the in-process
    emulator's."""
    return cloud.settings.model_copy(
        update={
            "model_name": names.model_name,
            "ecs_port": urlparse(emulator.endpoint_url).port,
            "lb_port": urlparse(emulator.listener_url(80)).port,
        }
    )


def stand_ins(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[bool]]:
    """The kit's stack stands in for ``bring_up`` and a recorder for the push loop; the
    lists fill with each run's ``bring_up`` and the ``rerun`` it asked the loop for
    (True when the service was created or repaired, False when found serving)."""
    brought_up: list[str] = []
    reruns: list[bool] = []
    monkeypatch.setattr(demo, "bring_up", lambda *_: brought_up.append("kit's stack"))

    def push_loop(*_: object, rerun: bool = False, **__: object) -> DemoPipelines:
        reruns.append(rerun)
        return DemoPipelines(seeded=(), newest={"model": None, "service": None})

    monkeypatch.setattr(demo, "seed_and_wait", push_loop)
    return brought_up, reruns


def test_the_demo_serves_a_users_newer_model_and_publishes_nothing(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cloud, names = drydock_cloud, drydock_isolation
    settings = demo_settings(cloud, names, drydock_emulator)
    brought_up, looped = stand_ins(monkeypatch)

    default = release_model(cloud.store, names.model_name)  # what an earlier demo published
    users = release_model(cloud.store, names.model_name, regularization=0.05)
    assert (default.manifest.version, users.manifest.version) == ("1", "2")

    first = demo.run_demo(settings)
    outcomes = {r.name: r.outcome for r in first.results}
    model_stage = next(name for name in outcomes if name.startswith("model"))
    assert outcomes[model_stage] == "newest published"
    assert cloud.store.versions(names.model_name) == ["1", "2"], "the demo published nothing"
    answers = [
        requests.post(settings.lb_url + "/predict", json=IRIS_ROW, timeout=10) for _ in range(6)
    ]
    assert {a.status_code for a in answers} == {200}
    assert {a.headers["X-Model-Version"] for a in answers} == {"2"}

    began = time.monotonic()
    second = demo.run_demo(settings)
    second_s = time.monotonic() - began
    outcomes = {r.name: r.outcome for r in second.results}
    print(f"\nsecond demo run {second_s:.1f} s: {outcomes}")
    assert outcomes[model_stage] == "newest published"
    rollout_stage = next(name for name in outcomes if name.startswith("rollout"))
    assert outcomes[rollout_stage] == "unchanged"
    assert cloud.store.versions(names.model_name) == ["1", "2"]
    assert brought_up == ["kit's stack"] * 2
    assert looped == [True, False]


def test_a_service_pinned_to_a_model_s3_lost_is_repaired_and_the_pipelines_run_again(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LocalStack lost its data while the emulator kept the service pinned to v2: the
    demo publishes a first version again, rolls the service to it (saying what it
    repaired), asks for the pipelines to run again, and the prediction is answered."""
    cloud, names = drydock_cloud, drydock_isolation
    settings = demo_settings(cloud, names, drydock_emulator)
    _, reruns = stand_ins(monkeypatch)
    release_model(cloud.store, names.model_name)
    release_model(cloud.store, names.model_name, regularization=0.05)
    demo.run_demo(settings)
    assert reruns == [True], "the service was created: the pipelines run again"
    ecs = aws_client("ecs", settings)
    pinned = ecs.describe_services(cluster="drydock", services=["model-server"])["services"][0]

    assert cloud.store.purge(names.model_name) > 0  # what a LocalStack restart does
    console = Console(record=True, width=300)
    repaired = demo.run_demo(settings, console)

    outcomes = {r.name: r.outcome for r in repaired.results}
    rollout_stage = next(name for name in outcomes if name.startswith("rollout"))
    assert outcomes[rollout_stage] == "repaired"
    said = console.export_text()
    assert "repairing model-server: its revision" in said
    assert "model version 2 is not published" in said
    assert reruns == [True, True]
    assert cloud.store.versions(names.model_name) == ["1"]
    after = ecs.describe_services(cluster="drydock", services=["model-server"])["services"][0]
    assert after["taskDefinition"] != pinned["taskDefinition"]
    answers = [
        requests.post(settings.lb_url + "/predict", json=IRIS_ROW, timeout=10) for _ in range(4)
    ]
    assert {a.status_code for a in answers} == {200}
    assert {a.headers["X-Model-Version"] for a in answers} == {"1"}
