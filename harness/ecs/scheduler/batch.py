"""Collects one step's actions and events, merging same-kind events as AWS does.

AWS reports "has started 2 tasks: (task a) (task b)." rather than two events when one
decision starts two tasks; a batch keeps the first-occurrence order of each kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.ecs import events as ev
from harness.ecs.scheduler.actions import Action


@dataclass
class StepBatch:
    service_name: str
    at: float
    actions: list[Action] = field(default_factory=list)
    _grouped: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    _order: list[tuple[str, str] | ev.ServiceEventBase] = field(default_factory=list)

    def _add(self, kind: str, key: str, task_id: str) -> None:
        slot = (kind, key)
        if slot not in self._grouped:
            self._grouped[slot] = []
            self._order.append(slot)
        self._grouped[slot].append(task_id)

    def started(self, task_id: str) -> None:
        self._add("started", "", task_id)

    def stopped(self, task_id: str) -> None:
        self._add("stopped", "", task_id)

    def registered(self, target_group_arn: str, task_id: str) -> None:
        self._add("registered", target_group_arn, task_id)

    def deregistered(self, target_group_arn: str, task_id: str) -> None:
        self._add("deregistered", target_group_arn, task_id)

    def draining(self, task_id: str) -> None:
        self._add("draining", "", task_id)

    def event(self, event: ev.ServiceEventBase) -> None:
        self._order.append(event)

    def events(self) -> list[ev.ServiceEventBase]:
        """The step's events in the order they happened."""
        out: list[ev.ServiceEventBase] = []
        name, at = self.service_name, self.at
        for item in self._order:
            if isinstance(item, ev.ServiceEventBase):
                out.append(item)
                continue
            kind, key = item
            ids = tuple(self._grouped[item])
            match kind:
                case "started":
                    out.append(ev.TasksStarted(name, at, ids))
                case "stopped":
                    out.append(ev.TasksStopped(name, at, ids))
                case "registered":
                    out.append(ev.TargetsRegistered(name, at, key, ids))
                case "deregistered":
                    out.append(ev.TargetsDeregistered(name, at, key, ids))
                case "draining":
                    out.append(ev.DrainingBegan(name, at, ids))
        return out
