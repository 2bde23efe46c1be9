"""Parse HAProxy's ``show stat`` CSV into typed rows: servers' health, and every row's
traffic counters (:func:`parse_traffic`) for the load balancer's CloudWatch metrics.

``show stat`` (not ``show servers state``) because it carries the check status as text
(``L7OK``, ``L7STS``, ``L4TOUT``...), the HTTP code of the last check and ``scur``, which
is what the target-health mapping needs; its columns are named, so order changes between
HAProxy versions do not matter.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass


@dataclass(frozen=True)
class ServerStats:
    """The fields of one server line of ``show stat`` that the driver reads."""

    backend: str
    server: str
    status: str
    """``UP``, ``UP 1/2`` (failing, not yet down), ``DOWN``, ``DRAIN``, ``MAINT``, ``no check``."""
    check_status: str
    """Last check: ``INI`` (none yet), ``L7OK``, ``L7STS`` (wrong code), ``L4CON``, ``L4TOUT``...

    HAProxy prefixes it with ``* `` while the next check is running; that is stripped."""
    check_code: int | None
    current_sessions: int
    down_transitions: int
    backup: bool


#: ``svname`` of the summary rows; every other row is a server.
FRONTEND = "FRONTEND"
BACKEND = "BACKEND"


@dataclass(frozen=True)
class TrafficCounters:
    """One row's traffic since the HAProxy worker started (a reload starts from zero).

    ``name`` is ``FRONTEND``, ``BACKEND`` or a server's name. Counters: ``req_tot``
    (HTTP requests; a server's are those sent to it, a BACKEND's include those HAProxy
    answered itself, e.g. 503 with no server up),
    ``hrsp_5xx`` (5xx responses: a server's are the ones it sent, a frontend's or
    backend's include those HAProxy made itself). ``rtime`` is not a counter: HAProxy's
    average response time in ms over the last 1024 requests.
    """

    proxy: str
    name: str
    requests: int
    responses_5xx: int
    response_time_ms: int

    @property
    def is_server(self) -> bool:
        return self.name not in (FRONTEND, BACKEND)


def parse_traffic(text: str) -> list[TrafficCounters]:
    """Every row of a ``show stat`` dump with its traffic counters."""
    return [
        TrafficCounters(
            proxy=row["pxname"],
            name=row["svname"],
            requests=_int_or_none(row.get("req_tot")) or 0,
            responses_5xx=_int_or_none(row.get("hrsp_5xx")) or 0,
            response_time_ms=_int_or_none(row.get("rtime")) or 0,
        )
        for row in _rows(text)
        if row.get("pxname") and row.get("svname")
    ]


def _rows(text: str) -> csv.DictReader[str]:
    body = text.lstrip()
    if body.startswith("# "):
        body = body[2:]
    return csv.DictReader(io.StringIO(body))


def parse_show_stat(text: str) -> list[ServerStats]:
    """Server rows of a ``show stat`` dump; frontend/backend summary rows are skipped."""
    servers: list[ServerStats] = []
    for row in _rows(text):
        if row.get("svname") in (None, FRONTEND, BACKEND) or not row.get("pxname"):
            continue
        servers.append(
            ServerStats(
                backend=row["pxname"],
                server=row["svname"],
                status=row.get("status", ""),
                check_status=(row.get("check_status", "") or "").removeprefix("* "),
                check_code=_int_or_none(row.get("check_code")),
                current_sessions=_int_or_none(row.get("scur")) or 0,
                down_transitions=_int_or_none(row.get("chkdown")) or 0,
                backup=row.get("bck") == "1",
            )
        )
    return servers


def _int_or_none(value: str | None) -> int | None:
    if value is None or value.strip() == "":
        return None
    return int(value)
