"""The model pipeline's quality gate: refuse a model that scores too low.

Two bars, both reported with their figures: a floor (``--min-accuracy``) and the
model published as ``latest`` (the one the last release served), which a candidate
must not score below. Pure: figures in, verdict out.
"""

from __future__ import annotations

from dataclasses import dataclass

METRIC = "accuracy"


@dataclass(frozen=True)
class GateVerdict:
    passed: bool
    reason: str


def judge(
    candidate: dict[str, float],
    floor: float,
    current: dict[str, float] | None = None,
    current_version: str | None = None,
) -> GateVerdict:
    if METRIC not in candidate:
        return GateVerdict(False, f"the candidate's manifest has no {METRIC} metric")
    score = candidate[METRIC]
    if score < floor:
        return GateVerdict(
            False, f"{METRIC} {score:.4f} is below the floor {floor:.4f}: not published"
        )
    if current is not None and METRIC in current and score < current[METRIC]:
        return GateVerdict(
            False,
            f"{METRIC} {score:.4f} is below the current model's {current[METRIC]:.4f} "
            f"(version {current_version}): not published",
        )
    against = (
        f" and the current model's {current[METRIC]:.4f} (version {current_version})"
        if current is not None and METRIC in current
        else " (no current model to compare with)"
    )
    return GateVerdict(True, f"{METRIC} {score:.4f} meets the floor {floor:.4f}{against}")
