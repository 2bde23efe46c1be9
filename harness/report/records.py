"""One row per request the load test sent, and its CSV form.

The locust recorder appends rows while the test runs and the report reads them
back; the module lives with the report so that the report imports nothing of the
load test (the load test depends on the report, never the reverse). CSV keeps the
file readable by anyone (a spreadsheet, pandas) and appendable from several writers
without a schema.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any, TextIO

MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class RequestRecord:
    """What one client request saw.

    ``time`` is when the answer (or the failure) arrived, in epoch seconds, so
    records from several processes line up with each other and with the
    deployment events. ``status`` is 0 when no HTTP answer came back.
    """

    time: float
    status: int
    latency_ms: float
    model_version: str
    task_id: str
    endpoint: str
    error: str

    @property
    def ok(self) -> bool:
        """Success means a 2xx answer and no error raised by the client."""
        return 200 <= self.status < 300 and not self.error


def record_from_request(
    name: str,
    response_time: float,
    response: Any,
    exception: BaseException | None,
    now: float,
) -> RequestRecord:
    """Build a record from the arguments of locust's ``request`` event.

    Kept here, apart from the locust wiring, so it is tested without importing locust.
    """
    status = int(getattr(response, "status_code", 0) or 0)
    headers = getattr(response, "headers", None) or {}
    error = "" if exception is None else f"{type(exception).__name__}: {exception}"
    if not error and not 200 <= status < 300:
        error = f"HTTP {status}"
    return RequestRecord(
        time=now,
        status=status,
        latency_ms=float(response_time or 0.0),
        model_version=str(headers.get("X-Model-Version", "")),
        task_id=str(headers.get("X-Task-Id", "")),
        endpoint=name,
        error=error[:MAX_ERROR_CHARS].replace("\n", " "),
    )


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(RequestRecord))


def record_to_row(record: RequestRecord) -> list[str]:
    """Render a record as CSV cells, times with millisecond precision."""
    row = [str(value) for value in astuple(record)]
    row[0] = f"{record.time:.6f}"
    row[2] = f"{record.latency_ms:.3f}"
    return row


def row_to_record(row: dict[str, str]) -> RequestRecord:
    """Parse one CSV row back; raises ``ValueError`` naming the bad cell."""
    try:
        return RequestRecord(
            time=float(row["time"]),
            status=int(row["status"]),
            latency_ms=float(row["latency_ms"]),
            model_version=row["model_version"],
            task_id=row["task_id"],
            endpoint=row["endpoint"],
            error=row["error"],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"bad request record {row!r}: {exc}") from exc


def write_header(stream: TextIO) -> None:
    csv.writer(stream).writerow(COLUMNS)


def append_records(stream: TextIO, records: Iterable[RequestRecord]) -> None:
    csv.writer(stream).writerows(record_to_row(r) for r in records)


def write_records(path: Path, records: Iterable[RequestRecord]) -> None:
    """Write a complete CSV file (header and rows)."""
    with path.open("w", newline="", encoding="utf-8") as stream:
        write_header(stream)
        append_records(stream, records)


def read_records(path: Path) -> list[RequestRecord]:
    """Read a CSV written by :func:`write_records` or the recorder, oldest first."""
    with path.open(newline="", encoding="utf-8") as stream:
        return sorted(iter_records(stream), key=lambda r: r.time)


def iter_records(stream: TextIO) -> Iterator[RequestRecord]:
    for row in csv.DictReader(stream):
        yield row_to_record(row)
