"""The emulator's memory across restarts: a journal of the API calls that change state.

ECS keeps clusters, task definitions and services when its control plane restarts;
the emulator's state is in memory, so every successful mutating call is appended to
a JSON-lines file and replayed into a fresh control plane at start. Tasks are not
journaled: their containers carry what identifies them (labels), so the restarted
emulator adopts the ones still running (``emulator.adoption``) and the scheduler
replaces the rest, as ECS replaces tasks it lost. ELB ARNs are derived from names
(``arns``), so replayed references hold.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from harness.ecs.control_plane.ecs_operations import ECS_OPERATIONS
from harness.ecs.control_plane.elbv2_operations import ELBV2_OPERATIONS
from harness.ecs.control_plane.errors import ControlPlaneError
from harness.ecs.control_plane.plane import ControlPlane, Operation

log = logging.getLogger(__name__)

_BY_NAME: dict[str, Operation] = {
    op.__name__: op for op in (*ECS_OPERATIONS.values(), *ELBV2_OPERATIONS.values())
}

#: Calls whose effect must survive a restart (reads, StopTask and targets do not).
MUTATIONS = frozenset(
    {
        "create_cluster",
        "delete_cluster",
        "register_task_definition",
        "deregister_task_definition",
        "create_service",
        "update_service",
        "delete_service",
        "create_load_balancer",
        "create_target_group",
        "delete_target_group",
        "modify_target_group_attributes",
        "create_listener",
    }
)


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, operation: Operation, request: dict[str, Any]) -> None:
        if operation.__name__ not in MUTATIONS:
            return
        line = json.dumps({"op": operation.__name__, "request": request}, default=str)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as journal:
                journal.write(line + "\n")

    def replay(self, control_plane: ControlPlane) -> int:
        """Apply every recorded call to ``control_plane`` (which must not record yet).

        A restart must never be the thing that fails: a line that is unreadable or that
        the control plane now refuses (a quota lowered since, a bug fixed) is skipped; a
        line that fails in any other way stops the replay there, since later calls may
        depend on it. Either way the journal is reported and set aside (renamed, kept
        for a post-mortem) and rewritten with the calls that did apply, so the next
        restart neither replays a refused call nor trips on the same line again.
        """
        if not self.path.exists():
            return 0
        applied: list[str] = []
        trouble: list[str] = []
        try:
            with self.path.open(encoding="utf-8", errors="replace") as journal:
                for number, line in enumerate(journal, start=1):
                    if not line.strip():
                        continue
                    outcome = self._apply(control_plane, line)
                    if outcome is None:
                        applied.append(line.rstrip("\n"))
                        continue
                    trouble.append(f"line {number}: {outcome}")
                    if outcome.startswith(_FATAL):
                        break
        except OSError as exc:
            trouble.append(f"unreadable: {exc}")
        if trouble:
            self._set_aside(applied, trouble)
        return len(applied)

    @staticmethod
    def _apply(control_plane: ControlPlane, line: str) -> str | None:
        """None when ``line`` applied; else why not (``_FATAL`` first: stop replaying)."""
        try:
            entry = json.loads(line)
            operation = _BY_NAME[entry["op"]]
            control_plane.call(operation, entry["request"])
        except ControlPlaneError as exc:
            return f"refused now ({type(exc).__name__}: {exc.message})"
        except (ValueError, KeyError, TypeError) as exc:
            return f"unreadable ({type(exc).__name__}: {exc})"
        except Exception as exc:  # a replay must not take the emulator down
            return f"{_FATAL} ({type(exc).__name__}: {exc})"
        return None

    def _set_aside(self, applied: list[str], trouble: list[str]) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        aside = self.path.with_name(f"{self.path.name}.set-aside-{stamp}")
        log.warning(
            "journal %s could not be replayed in full (%s); set aside as %s, "
            "kept the %d call(s) that applied",
            self.path,
            "; ".join(trouble[:5]) + (f"; and {len(trouble) - 5} more" if len(trouble) > 5 else ""),
            aside,
            len(applied),
        )
        with self._lock:
            try:
                self.path.replace(aside)
                self.path.write_text("".join(line + "\n" for line in applied))
            except OSError as exc:
                log.error("journal %s could not be set aside: %s", self.path, exc)


#: How :meth:`Journal._apply` marks a failure that stops the replay.
_FATAL = "failed"
