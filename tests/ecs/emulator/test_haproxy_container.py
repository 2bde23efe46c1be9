"""The emulator's HAProxy container (emulator/haproxy_container.py), with the engine faked.

HAProxy itself is exercised by the balancer scenarios; here: what is published where,
which container a restart takes over, and that a balancer that never answers is removed.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.ecs.emulator import haproxy_container
from harness.ecs.emulator.haproxy_container import (
    BALANCER_ROLE,
    attach_haproxy,
    find_kept_haproxy,
    proxy_settings,
    start_haproxy,
)
from harness.ecs.haproxy import RUNTIME_API_PORT
from harness.ecs.haproxy.errors import HaproxyError
from harness.ecs.runtime.task_containers import EMULATOR_LABEL, OWNER_LABEL
from harness.time_scale import TimeScale


class FakeContainer:
    def __init__(self, ports: dict[int, int], status: str = "running", labels=None) -> None:
        self.status = status
        self.labels = labels or {}
        self.removed = False
        self.attrs = {
            "NetworkSettings": {
                "Ports": {
                    f"{c}/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(h)}]
                    for c, h in ports.items()
                }
            }
        }

    def reload(self) -> None:
        pass

    def remove(self, force: bool = False) -> None:
        self.removed = True


class FakeContainers:
    def __init__(self, listed: list[FakeContainer] | None = None) -> None:
        self.listed = listed or []
        self.runs: list[dict[str, Any]] = []
        self.started = FakeContainer({RUNTIME_API_PORT: 40001, 8080: 40002})

    def run(self, image: str, **kwargs: Any) -> FakeContainer:
        self.runs.append({"image": image, **kwargs})
        return self.started

    def list(self, **kwargs: Any) -> list[FakeContainer]:
        return self.listed


class FakeClient:
    def __init__(self, listed: list[FakeContainer] | None = None) -> None:
        self.containers = FakeContainers(listed)


class Resolver:
    def resolve(self, spec: Any) -> Any:
        return type("Resolved", (), {"ref": "drydock/haproxy:test"})()


@pytest.fixture
def api_answers(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Runtime API readiness faked: records which address was waited on."""
    waited: list[Any] = []
    monkeypatch.setattr(
        haproxy_container, "_wait_for_runtime_api", lambda api, timeout: waited.append(api.address)
    )
    return waited


def test_start_publishes_every_port_on_loopback_only_and_labels_the_owner(
    api_answers: list[Any],
) -> None:
    client = FakeClient()
    started = start_haproxy(
        client,  # type: ignore[arg-type]
        Resolver(),  # type: ignore[arg-type]
        network="drydock_cloud",
        project="drydock",
        listener_ports=(8080,),
        owner="me",
    )

    (run,) = client.containers.runs
    assert run["image"] == "drydock/haproxy:test"
    assert set(run["ports"].values()) == {("127.0.0.1", None)}
    assert set(run["ports"]) == {f"{RUNTIME_API_PORT}/tcp", "8080/tcp"}
    assert run["labels"][f"drydock.{OWNER_LABEL}"] == "me"
    assert started.listener_url(8080) == "http://127.0.0.1:40002"
    assert api_answers[0].port == 40001, "the Runtime API is reached on its published port"
    with pytest.raises(HaproxyError, match="not published"):
        started.listener_url(9090)


def test_a_balancer_that_never_answers_is_removed(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(api: Any, timeout: float) -> None:
        raise HaproxyError("HAProxy's Runtime API did not answer within 20 s")

    monkeypatch.setattr(haproxy_container, "_wait_for_runtime_api", never)
    client = FakeClient()
    with pytest.raises(HaproxyError, match="did not answer"):
        start_haproxy(client, Resolver(), network="n", project="p")  # type: ignore[arg-type]
    assert client.containers.started.removed


def test_a_restart_takes_over_only_a_running_balancer_of_its_owner(
    api_answers: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    running = FakeContainer({RUNTIME_API_PORT: 41001, 8080: 41002})
    asked: list[dict[str, str]] = []

    def labelled(client: Any, **labels: str) -> list[FakeContainer]:
        asked.append(labels)
        return [FakeContainer({}, status="exited"), running]

    monkeypatch.setattr(haproxy_container, "containers_labelled", labelled)
    kept = find_kept_haproxy(FakeClient(), project="drydock", owner="me")  # type: ignore[arg-type]

    assert kept is not None and kept.container is running
    assert asked == [{"project": "drydock", EMULATOR_LABEL: BALANCER_ROLE, OWNER_LABEL: "me"}]
    monkeypatch.setattr(haproxy_container, "containers_labelled", lambda client, **labels: [])
    assert find_kept_haproxy(FakeClient(), project="drydock", owner="me") is None  # type: ignore[arg-type]


def test_attaching_to_compose_balancer_uses_its_network_name_and_does_not_own_it(
    api_answers: list[Any],
) -> None:
    compose = FakeContainer({RUNTIME_API_PORT: 42001, 80: 8000})
    attached = attach_haproxy(FakeClient([compose]), "balancer", project="drydock")  # type: ignore[arg-type]

    assert (api_answers[0].host, api_answers[0].port) == ("balancer", RUNTIME_API_PORT)
    assert attached.published == {80: 8000} and not attached.owned
    attached.remove()
    assert not compose.removed, "compose's balancer is not the emulator's to remove"
    with pytest.raises(HaproxyError, match="no running balancer"):
        attach_haproxy(FakeClient([]), "balancer", project="drydock")  # type: ignore[arg-type]


def test_idle_timeout_follows_alb_scaled_but_never_under_a_second() -> None:
    assert proxy_settings(TimeScale(1.0)).idle_timeout_s == 60.0
    assert proxy_settings(TimeScale(0.05)).idle_timeout_s == 3.0
    assert proxy_settings(TimeScale(0.01)).idle_timeout_s == 1.0
