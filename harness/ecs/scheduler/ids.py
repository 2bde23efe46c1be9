"""Identifiers in AWS's formats, from an injectable source so tests are reproducible."""

from __future__ import annotations

import random
import secrets
from collections import deque
from typing import Protocol


class IdSource(Protocol):
    def task_id(self) -> str:
        """32 lowercase hex characters, as ECS task ids are."""
        ...

    def deployment_id(self) -> str:
        """``ecs-svc/`` followed by 19 digits."""
        ...


class RandomIds:
    """Unpredictable ids (the default); pass ``seed`` for a reproducible sequence."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed) if seed is not None else None

    def _hex(self) -> str:
        if self._rng is None:
            return secrets.token_hex(16)
        return f"{self._rng.getrandbits(128):032x}"

    def _digits(self) -> str:
        rng = self._rng or random.SystemRandom()
        return str(rng.randrange(10**18, 10**19))

    def task_id(self) -> str:
        return self._hex()

    def deployment_id(self) -> str:
        return f"ecs-svc/{self._digits()}"


class ReplayedIds(RandomIds):
    """Random ids, except the deployment ids a journal replay primes, handed out first.

    A restarted emulator replays CreateService/UpdateService; priming each with the
    deployment id the call made before the restart keeps the ids clients saw (and that
    task containers carry), as ECS keeps its deployments across a control-plane restart.
    """

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(seed)
        self._primed: deque[str] = deque()

    def prime(self, deployment_id: str) -> None:
        self._primed.append(deployment_id)

    def clear(self) -> None:
        self._primed.clear()

    def deployment_id(self) -> str:
        return self._primed.popleft() if self._primed else super().deployment_id()
