"""Injected faults: a model that breaks on some of its inputs, for rehearsing a bad release.

Drydock rehearses failures, and the one a canary exists for is a new model that answers
most requests and fails on some. ``DRYDOCK_FAULT_SERVER_ERROR_SHARE`` (0..1, default 0)
makes this task answer 500 for that share of its *inputs*: which rows fail is decided
by a stable hash of each row's float64 values, not by chance, so the same input fails
every time (on every task with the same setting, on ``/predict`` and on the Open
Inference Protocol's infer path alike), as a model with a bug on part of its input space
does. A request fails when any of its rows is one of the failing inputs; a single-row
request fails with the configured probability over varied inputs.

Pure logic, no Flask: the routes ask :meth:`ServerErrorFault.check` once the input is
parsed and valid (bad input is still the client's 4xx), and the app turns
:class:`InjectedServerError` into a 500 in the path's own error shape.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

#: The setting's environment variable, named in every injected error.
SERVER_ERROR_SHARE_VARIABLE = "DRYDOCK_FAULT_SERVER_ERROR_SHARE"
_HASH_BYTES = 8
_HASH_SPAN = float(1 << (8 * _HASH_BYTES))


class InjectedServerError(Exception):
    """A request the configured fault fails on purpose: a 500, never the client's error."""

    status = 500
    code = "injected_fault"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def input_position(row: np.ndarray) -> float:
    """Where one input row falls in [0, 1): a stable hash of its float64 values.

    ``+ 0.0`` folds -0.0 into 0.0, so inputs that compare equal hash equal; the bytes are
    the float64 values whatever JSON spelling (``1``, ``1.0``) or OIP datatype carried them.
    """
    values = np.ascontiguousarray(row, dtype=np.float64) + 0.0
    digest = hashlib.blake2b(values.tobytes(), digest_size=_HASH_BYTES).digest()
    return int.from_bytes(digest, "big") / _HASH_SPAN


@dataclass(frozen=True)
class ServerErrorFault:
    """Fail ``share`` of all inputs with a 500; 0 fails nothing and costs nothing."""

    share: float = 0.0

    def failing_row(self, matrix: np.ndarray) -> int | None:
        """The first row of ``matrix`` that is one of the failing inputs, if any."""
        if self.share <= 0.0:
            return None
        for index, row in enumerate(np.atleast_2d(matrix)):
            if input_position(row) < self.share:
                return index
        return None

    def check(self, matrix: np.ndarray) -> None:
        """Raise :class:`InjectedServerError` when the request holds a failing input."""
        row = self.failing_row(matrix)
        if row is not None:
            raise InjectedServerError(
                f"injected fault: input row {row} is one of the inputs this task fails on "
                f"({SERVER_ERROR_SHARE_VARIABLE}={self.share:g})"
            )
