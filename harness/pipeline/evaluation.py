"""The model pipeline's ``evaluate`` stage: score a candidate against the bar and the served model.

The candidate is either a packaged model (``drydock model train --out DIR``, before it is
published) or a published version; its score is the held-out figure training recorded in
its manifest. The served model is found through ECS (the service's current revision's
pin) and scored from its own published manifest, so both figures were measured the
same way. :func:`harness.model.quality_gate.judge` decides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import DrydockError
from harness.model.artifact import read_artifact
from harness.model.quality_gate import GateVerdict, ServedScore, judge, score_of
from harness.model.store import ModelStore
from harness.pipeline.served_model import served_manifest, served_pin
from serving.manifest import ModelManifest


def candidate_manifest(
    *, from_dir: Path | None, store: ModelStore, name: str, version: str | None
) -> ModelManifest:
    """The candidate's manifest: a packaged folder, else a published version of ``name``."""
    if from_dir is not None:
        return read_artifact(from_dir).manifest
    if version is None:
        raise DrydockError("evaluate what? give --from-dir DIR or --version V")
    manifest = store.manifest(name, version)
    if manifest is None:
        raise DrydockError(
            f"model {name} version {version} is not published "
            f"(no s3://{store.bucket}/models/{name}/{version}/manifest.json)"
        )
    return manifest


def evaluate(
    candidate: ModelManifest,
    *,
    metric: str,
    threshold: float,
    ecs: Any | None,
    s3: Any,
    cluster: str,
    service: str,
    container: str | None = None,
) -> GateVerdict:
    """The verdict; with ``ecs`` the served model is part of the bar, when one is served."""
    score = score_of(candidate, metric, "the candidate")
    served = None
    if ecs is not None:
        pin = served_pin(ecs, cluster, service, container)
        manifest = served_manifest(s3, pin) if pin is not None else None
        if pin is not None and manifest is None:
            raise DrydockError(
                f"service {service} serves {pin.uri}, which has no published manifest "
                f"(s3://{pin.bucket}/{pin.manifest_key}); cannot compare with it"
            )
        if manifest is not None:
            served = ServedScore(manifest.version, score_of(manifest, metric, "the served model"))
    return judge(metric, candidate.version, score, threshold, served)
