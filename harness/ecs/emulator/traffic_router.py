"""The scheduler's traffic port: ``ShiftTraffic`` into ELBv2 listener rules' weights.

BLUE_GREEN, LINEAR and CANARY move traffic by the forward weights of the production
(and test) listener rule. The rule lives in the ELBv2 registry, which applies the
weights to HAProxy live (the same path as ``ModifyRule``); this adapter only hands the
weights over, under the control plane's lock like every other registry change.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Protocol

from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.elbv2_operations import set_forward_weights
from harness.ecs.scheduler.actions import ShiftTraffic


class WeightedRules(Protocol):
    """What the router needs of the ELBv2 registry (``Elbv2Registry.set_forward_weights``)."""

    def set_forward_weights(self, rule_arn: str, weights: Mapping[str, int]) -> None:
        """Set the weights of the rule's forward action, by target group ARN."""
        ...


class ListenerRuleRouter:
    """A :class:`~harness.ecs.scheduler.ports.TrafficRouter` over ELBv2 listener rules."""

    def __init__(self, rules: WeightedRules, lock: AbstractContextManager[object]) -> None:
        self._rules = rules
        self._lock = lock

    def shift_traffic(self, action: ShiftTraffic) -> None:
        with self._lock:
            self._rules.set_forward_weights(action.rule_arn, dict(action.weights))


class JournaledWeights:
    """:class:`WeightedRules` through ``ControlPlane.call``: each shift is journaled like
    a ModifyRule, so an emulator restart keeps the weights the deployment had reached."""

    def __init__(self, control_plane: ControlPlane) -> None:
        self._control_plane = control_plane

    def set_forward_weights(self, rule_arn: str, weights: Mapping[str, int]) -> None:
        self._control_plane.call(
            set_forward_weights, {"RuleArn": rule_arn, "Weights": dict(weights)}
        )
