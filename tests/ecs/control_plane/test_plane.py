"""Control plane rules without HTTP: revisions under concurrency, references, the entry point."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.ecs.control_plane import ECS_OPERATIONS, ControlPlane
from harness.ecs.control_plane.errors import ClientException

CONTAINERS = [{"name": "app", "image": "app:1"}]


def test_concurrent_registrations_get_distinct_revisions() -> None:
    cp = ControlPlane()
    register = ECS_OPERATIONS["RegisterTaskDefinition"]

    def one(_: int) -> int:
        out = cp.call(register, {"family": "web", "containerDefinitions": CONTAINERS})
        return out["taskDefinition"]["revision"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        revisions = sorted(pool.map(one, range(40)))
    assert revisions == list(range(1, 41))


def test_task_definition_references() -> None:
    cp = ControlPlane()
    registry = cp.task_definitions
    first = registry.register({"family": "web", "containerDefinitions": CONTAINERS}, cp.now())
    registry.register({"family": "web", "containerDefinitions": CONTAINERS}, cp.now())
    assert registry.resolve(first.arn) is first
    assert registry.resolve("web:1") is first
    assert registry.resolve("web").revision == 2
    for bad in ("web:3", "other", "web:x", ""):
        with pytest.raises(ClientException, match="Unable to describe task definition"):
            registry.resolve(bad)
    with pytest.raises(ClientException, match="revision is required"):
        registry.deregister("web", cp.now())
    with pytest.raises(ClientException, match="Duplicate container names"):
        registry.register({"family": "web", "containerDefinitions": CONTAINERS * 2}, cp.now())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_module_entry_point_serves_health() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.ecs.api", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                url = f"http://127.0.0.1:{port}/_drydock/health"
                with urllib.request.urlopen(url, timeout=1) as response:
                    assert json.load(response)["status"] == "ok"
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_instant_scheduler_adopts_a_task_in_place_of_one_it_would_start() -> None:
    """The reference handle honours the whole SchedulerHandle contract, adoption too."""
    cp = ControlPlane()
    cp.call(ECS_OPERATIONS["CreateCluster"], {"clusterName": "c"})
    cp.call(
        ECS_OPERATIONS["RegisterTaskDefinition"],
        {"family": "web", "containerDefinitions": CONTAINERS},
    )
    cp.call(
        ECS_OPERATIONS["CreateService"],
        {"cluster": "c", "serviceName": "s", "taskDefinition": "web", "desiredCount": 2},
    )
    (handle,) = cp.schedulers()
    deployment = handle.service.primary.id
    adopted = "arn:aws:ecs:us-east-1:000000000000:task/c/" + "a" * 32
    name = CONTAINERS[0]["name"]

    handle.adopt(adopted, deployment, started_at=1.0, container_ids={name: "cafe"})

    running = [t for t in handle.tasks if t.last_status == "RUNNING"]
    assert len(running) == 2, "the adopted task takes the place of one already running"
    assert adopted in {t.task_arn for t in running}
    mine = next(t for t in running if t.task_arn == adopted)
    assert (mine.deployment_id, mine.started_at) == (deployment, 1.0)
    assert mine.containers[0].runtime_id == "cafe"
    assert handle.step([]) == [] and handle.next_wakeup() is None
    assert handle.restore_completed(deployment), "its PRIMARY completed when it was made"
    assert not handle.restore_completed("ecs-svc/0"), "another service's deployment"
