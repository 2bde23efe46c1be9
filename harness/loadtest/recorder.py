"""Record every request locust sends, in local and in distributed mode.

Locust's ``request`` event gives each request's response (status, headers) or
its exception; this module turns that into a :class:`RequestRecord`.

Where the rows go depends on the process's role, decided at ``init``:

- local runner: rows go straight into the CSV file;
- worker: rows are buffered and ride on locust's own periodic worker report
  (``report_to_master``, every few seconds, plus the final one sent on quit);
- master: rows from every worker's report (``worker_report``) go into the CSV.

So one CSV on the master holds every request even when the workers run on other
machines, and nothing new crosses the wire besides locust's own messages.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, TextIO

from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from harness.report.records import (
    RequestRecord,
    append_records,
    record_from_request,
    record_to_row,
    row_to_record,
    write_header,
)

REPORT_KEY = "drydock_records"
log = logging.getLogger(__name__)


class RequestRecorder:
    """Subscribes to locust's events and sends each request to the CSV sink."""

    def __init__(self, records_path: Path, started_path: Path | None) -> None:
        self.records_path = records_path
        self.started_path = started_path
        self._buffer: list[RequestRecord] = []
        self._stream: TextIO | None = None
        self._role = "local"

    def install(self) -> None:
        events.init.add_listener(self._on_init)
        events.request.add_listener(self._on_request)
        events.test_start.add_listener(self._on_test_start)
        events.report_to_master.add_listener(self._on_report_to_master)
        events.worker_report.add_listener(self._on_worker_report)
        events.quit.add_listener(self._on_quit)

    def _on_init(self, environment: Environment, **_: Any) -> None:
        if isinstance(environment.runner, WorkerRunner):
            self._role = "worker"
            return
        self._role = "master" if isinstance(environment.runner, MasterRunner) else "local"
        self.records_path.parent.mkdir(parents=True, exist_ok=True)
        self._stream = self.records_path.open("w", newline="", encoding="utf-8")
        write_header(self._stream)
        self._stream.flush()

    def _on_test_start(self, environment: Environment, **_: Any) -> None:
        if self._role != "worker" and self.started_path is not None:
            self.started_path.write_text(f"{time.time():.6f}\n", encoding="utf-8")

    def _on_request(
        self,
        name: str,
        response_time: float,
        response: Any = None,
        exception: BaseException | None = None,
        **_: Any,
    ) -> None:
        record = record_from_request(name, response_time, response, exception, time.time())
        if self._role == "worker":
            self._buffer.append(record)
        else:
            self._write([record])

    def _on_report_to_master(self, client_id: str, data: dict[str, Any]) -> None:
        rows, self._buffer = self._buffer, []
        data[REPORT_KEY] = [record_to_row(r) for r in rows]

    def _on_worker_report(self, client_id: str, data: dict[str, Any]) -> None:
        rows = data.get(REPORT_KEY) or []
        columns = RequestRecord.__dataclass_fields__.keys()
        self._write([row_to_record(dict(zip(columns, row, strict=True))) for row in rows])

    def _on_quit(self, **_: Any) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def _write(self, records: list[RequestRecord]) -> None:
        if self._stream is None:
            log.warning("request record dropped: the recorder's file is not open")
            return
        append_records(self._stream, records)
        self._stream.flush()  # a crashed or killed run keeps what it saw
