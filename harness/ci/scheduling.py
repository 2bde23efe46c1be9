"""Which pending pipelines start now, and one deployment per resource group at a time.

Pipelines of one repository run one at a time, in push order, so the last commit
pushed is the last one deployed. Pipelines of different repositories run side by
side; jobs that name the same ``resource_group`` (GitLab's keyword) take turns.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from harness.ci.records import PipelineRecord


def pipelines_to_start(records: Iterable[PipelineRecord]) -> list[PipelineRecord]:
    """The oldest pending pipeline of each repository that has none running."""
    records = list(records)
    busy = {r.repo for r in records if r.status == "running"}
    chosen: dict[str, PipelineRecord] = {}
    for record in sorted(records, key=lambda r: r.id):
        if record.status == "pending" and record.repo not in busy and record.repo not in chosen:
            chosen[record.repo] = record
    return sorted(chosen.values(), key=lambda r: r.id)


class ResourceGroups:
    """One holder per group name; waiting holders get it in the order they asked."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._queues: dict[str, list[int]] = {}

    @contextmanager
    def hold(self, group: str | None, pipeline_id: int) -> Iterator[None]:
        if group is None:
            yield
            return
        with self._condition:
            queue = self._queues.setdefault(group, [])
            queue.append(pipeline_id)
            self._condition.wait_for(lambda: queue[0] == pipeline_id)
        try:
            yield
        finally:
            with self._condition:
                queue.pop(0)
                self._condition.notify_all()

    def holder(self, group: str) -> int | None:
        with self._condition:
            queue = self._queues.get(group) or []
            return queue[0] if queue else None
