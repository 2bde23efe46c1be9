"""Train with a repository's own training code, the model pipeline's ``train`` job.

The ``model`` repository of the local git remote carries ``training.py`` (seeded from
:mod:`harness.model.training`) and ``params.json``; an ML engineer edits either and
pushes. Drydock loads that file, calls its ``train(**params)`` and packages the result
exactly as ``drydock model publish`` does, so what the pipeline trains is what the
engineer committed, not Drydock's copy.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from harness.errors import ModelArtifactError
from harness.model.training import TrainedModel


def load_params(path: Path) -> dict[str, object]:
    try:
        params = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ModelArtifactError(f"no training parameters at {path}") from exc
    except json.JSONDecodeError as exc:
        raise ModelArtifactError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(params, dict):
        raise ModelArtifactError(f"{path} must hold a JSON object of train() arguments")
    return params


def train_with(training: Path, params: dict[str, object]) -> TrainedModel:
    """Import ``training`` as a fresh module and call its ``train(**params)``."""
    spec = importlib.util.spec_from_file_location("drydock_pipeline_training", training)
    if spec is None or spec.loader is None or not training.is_file():
        raise ModelArtifactError(f"no training code at {training}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ModelArtifactError(f"{training} failed to import: {exc!r}") from exc
    train = getattr(module, "train", None)
    if not callable(train):
        raise ModelArtifactError(f"{training} defines no train() function")
    try:
        trained = train(**params)
    except TypeError as exc:
        raise ModelArtifactError(f"train() refused the parameters {params}: {exc}") from exc
    if not hasattr(trained, "estimator") or not hasattr(trained, "metrics"):
        raise ModelArtifactError(f"{training}: train() must return a TrainedModel")
    return trained  # type: ignore[no-any-return]
