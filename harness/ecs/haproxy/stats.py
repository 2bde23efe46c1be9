"""Parse HAProxy's ``show stat`` CSV into typed per-server rows.

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


def parse_show_stat(text: str) -> list[ServerStats]:
    """Server rows of a ``show stat`` dump; frontend/backend summary rows are skipped."""
    body = text.lstrip()
    if body.startswith("# "):
        body = body[2:]
    rows = csv.DictReader(io.StringIO(body))
    servers: list[ServerStats] = []
    for row in rows:
        if row.get("svname") in (None, "FRONTEND", "BACKEND") or not row.get("pxname"):
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
