"""The docker toolkit's label lookups and removal, with the engine faked."""

from __future__ import annotations

from typing import Any

from docker.errors import NotFound

from harness.docker_engine.containers import LABEL_PREFIX, containers_labelled, remove_container


class FakeContainer:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def stop(self, timeout: int) -> None:
        self.calls.append(f"stop {timeout}")

    def remove(self, force: bool) -> None:
        self.calls.append(f"remove force={force}")


class FakeContainers:
    def __init__(self, known: dict[str, FakeContainer]) -> None:
        self.known = known
        self.listed: list[dict[str, Any]] = []

    def get(self, container_id: str) -> FakeContainer:
        if container_id not in self.known:
            raise NotFound(f"no such container: {container_id}")
        return self.known[container_id]

    def list(self, **kwargs: Any) -> list[FakeContainer]:
        self.listed.append(kwargs)
        return list(self.known.values())


class FakeClient:
    def __init__(self, known: dict[str, FakeContainer]) -> None:
        self.containers = FakeContainers(known)


def test_labels_are_drydock_prefixed_and_stopped_containers_count() -> None:
    client = FakeClient({"a": FakeContainer()})

    found = containers_labelled(client, project="drydock", service="web")  # type: ignore[arg-type]

    assert len(found) == 1
    (query,) = client.containers.listed
    assert query["filters"] == {
        "label": [f"{LABEL_PREFIX}project=drydock", f"{LABEL_PREFIX}service=web"]
    }
    assert query["all"] is True, "exited task containers are found too"
    assert query["ignore_removed"] is True


def test_remove_stops_with_the_grace_then_removes_and_a_missing_one_is_fine() -> None:
    container = FakeContainer()
    client = FakeClient({"a": container})

    remove_container(client, "a", timeout_s=7)  # type: ignore[arg-type]
    remove_container(client, "gone")  # type: ignore[arg-type]

    assert container.calls == ["stop 7", "remove force=True"]
