"""Failed requests grouped by what tells their cause apart: status, endpoint and task.

A count alone says "something broke"; grouped, the same 502s from one draining task
or timeouts on one endpoint point at the cause, and the first example of each group
(its error text and when it came) is where to start reading the logs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from harness.report.records import RequestRecord

#: The task column for requests that got no answer naming a task.
NO_TASK = "(no task)"


@dataclass(frozen=True)
class ErrorGroup:
    """Failed requests sharing status, endpoint and task, with the first one as example."""

    status: int
    endpoint: str
    task_id: str
    count: int
    first_at: float
    first_error: str


def error_breakdown(records: Iterable[RequestRecord]) -> list[ErrorGroup]:
    """Groups of failed requests, the largest first (ties: the earliest first)."""
    counts: dict[tuple[int, str, str], int] = {}
    first: dict[tuple[int, str, str], RequestRecord] = {}
    for record in records:
        if record.ok:
            continue
        key = (record.status, record.endpoint, record.task_id or NO_TASK)
        counts[key] = counts.get(key, 0) + 1
        if key not in first or record.time < first[key].time:
            first[key] = record
    groups = [
        ErrorGroup(*key, count, first[key].time, first[key].error or f"HTTP {key[0]}")
        for key, count in counts.items()
    ]
    return sorted(groups, key=lambda g: (-g.count, g.first_at))
