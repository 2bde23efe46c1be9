"""The model pipeline's quality gate: a candidate must meet a threshold and the served model.

The ``evaluate`` job runs it between ``train`` and ``publish``: a model that scores
below the bar the team set, or below the model the service serves now, is not
published and so never rolled out. Both figures go in the verdict, because "refused"
alone sends someone digging through logs. Pure: the scores come in, a verdict goes out;
where they come from (a packaged candidate, a published manifest, the ECS service) is
the caller's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.errors import DrydockError
from serving.manifest import ModelManifest


class QualityGateRefused(DrydockError):
    """The candidate scores below the threshold or below the served model."""

    exit_code = 3


@dataclass(frozen=True)
class ServedScore:
    version: str
    score: float


@dataclass(frozen=True)
class GateVerdict:
    metric: str
    candidate_version: str
    candidate: float
    threshold: float
    served: ServedScore | None
    passed: bool
    message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "candidateVersion": self.candidate_version,
            "candidate": self.candidate,
            "threshold": self.threshold,
            "servedVersion": self.served.version if self.served else None,
            "served": self.served.score if self.served else None,
            "passed": self.passed,
            "message": self.message,
        }


def score_of(manifest: ModelManifest, metric: str, what: str) -> float:
    """The manifest's figure for ``metric``; a clear error naming what is missing."""
    if metric not in manifest.metrics:
        raise DrydockError(
            f"{what} (model {manifest.name} v{manifest.version}) has no {metric!r} metric; "
            f"it has {sorted(manifest.metrics)}"
        )
    return float(manifest.metrics[metric])


def judge(
    metric: str,
    candidate_version: str,
    candidate: float,
    threshold: float,
    served: ServedScore | None = None,
) -> GateVerdict:
    """Pass when ``candidate`` >= ``threshold`` and >= the served score (a tie passes:
    a retrained model as good as the served one is no regression)."""
    figures = f"{metric} {candidate:.4f} (candidate v{candidate_version})"
    problems = []
    if candidate < threshold:
        problems.append(f"below the threshold {threshold:.4f}")
    if served is not None and candidate < served.score:
        problems.append(f"below the served model v{served.version}'s {served.score:.4f}")
    # The bars the candidate met, so that every figure is said exactly once.
    met = [] if candidate < threshold else [f"threshold {threshold:.4f}"]
    if served is None:
        met.append("no model is served yet")
    elif candidate >= served.score:
        met.append(f"the served model v{served.version} scores {served.score:.4f}")
    context = f" ({', '.join(met)})" if met else ""
    if problems:
        message = f"quality gate refused: {figures} is {' and '.join(problems)}{context}"
    else:
        message = f"quality gate passed: {figures}{context}"
    return GateVerdict(
        metric, candidate_version, candidate, threshold, served, not problems, message
    )
