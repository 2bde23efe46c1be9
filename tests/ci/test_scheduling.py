"""Per-repository FIFO and resource groups: the last push deploys last, never interleaved."""

from __future__ import annotations

import threading
import time

from harness.ci.records import PipelineRecord, Push
from harness.ci.scheduling import ResourceGroups, pipelines_to_start


def record(pid: int, repo: str, status: str = "pending") -> PipelineRecord:
    r = PipelineRecord.from_push(Push(id=pid, repo=repo, sha=f"{pid:040x}"))
    r.status = status  # type: ignore[assignment]
    return r


def test_the_oldest_pending_pipeline_of_each_repository_starts() -> None:
    chosen = pipelines_to_start(
        [record(3, "model"), record(1, "model"), record(2, "service"), record(4, "service")]
    )
    assert [r.id for r in chosen] == [1, 2]


def test_a_repository_with_a_running_pipeline_starts_nothing_else() -> None:
    chosen = pipelines_to_start(
        [record(1, "service", "running"), record(2, "service"), record(3, "model")]
    )
    assert [r.id for r in chosen] == [3]


def test_finished_pipelines_do_not_block() -> None:
    chosen = pipelines_to_start([record(1, "service", "failed"), record(2, "service")])
    assert [r.id for r in chosen] == [2]


def test_a_generator_of_records_is_read_once_correctly() -> None:
    chosen = pipelines_to_start(r for r in [record(1, "model", "running"), record(2, "model")])
    assert chosen == []


def test_resource_group_holders_never_overlap_and_go_in_asking_order() -> None:
    groups = ResourceGroups()
    spans: list[tuple[int, float, float]] = []
    first_holds = threading.Event()

    def deploy(pid: int) -> None:
        with groups.hold("model-server", pid):
            if pid == 1:
                first_holds.set()
            began = time.monotonic()
            time.sleep(0.05)
            spans.append((pid, began, time.monotonic()))

    one = threading.Thread(target=deploy, args=(1,))
    one.start()
    first_holds.wait(2)
    two = threading.Thread(target=deploy, args=(2,))
    two.start()
    time.sleep(0.01)
    assert groups.holder("model-server") == 1
    one.join(2)
    two.join(2)
    assert [pid for pid, _, _ in spans] == [1, 2]
    assert spans[0][2] <= spans[1][1]
    assert groups.holder("model-server") is None


def test_no_resource_group_means_no_waiting() -> None:
    groups = ResourceGroups()
    with groups.hold("model-server", 1), groups.hold(None, 2):
        assert groups.holder("model-server") == 1
