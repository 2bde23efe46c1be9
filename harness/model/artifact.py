"""A model file plus the manifest that vouches for it, on disk or in memory.

The manifest is written from the bytes actually serialised, so its sha256 is
the checksum of exactly what gets uploaded and what the server will verify.
"""

from __future__ import annotations

import pickle
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy
import sklearn
from pydantic import ValidationError

from harness.errors import ModelArtifactError
from harness.model.training import TrainedModel
from serving.manifest import (
    MANIFEST_FILENAME,
    MODEL_FILENAMES,
    ModelFormat,
    ModelManifest,
    sha256_of,
)
from serving.signature import SIGNATURE_FILENAME


@dataclass(frozen=True)
class ModelArtifact:
    manifest: ModelManifest
    model_bytes: bytes
    #: The pipeline's signature over manifest and model file (``harness.model.signing``).
    signature: bytes | None = None


def serialise(estimator: object, model_format: ModelFormat) -> bytes:
    if model_format == "skops":
        import skops.io

        return skops.io.dumps(estimator)
    return pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL)


def package(
    trained: TrainedModel, name: str, version: str, model_format: ModelFormat = "pickle"
) -> ModelArtifact:
    model_bytes = serialise(trained.estimator, model_format)
    try:
        manifest = ModelManifest(
            name=name,
            version=version,
            format=model_format,
            artifact=MODEL_FILENAMES[model_format],
            sha256=sha256_of(model_bytes),
            size_bytes=len(model_bytes),
            sklearn_version=sklearn.__version__,
            numpy_version=numpy.__version__,
            python_version=platform.python_version(),
            estimator=f"{type(trained.estimator).__module__}.{type(trained.estimator).__name__}",
            task="classification",
            feature_names=trained.feature_names,
            target_names=trained.target_names,
            metrics=trained.metrics,
            dataset=trained.dataset,
            created_at=datetime.now(UTC),
        )
    except ValidationError as exc:
        raise ModelArtifactError(f"invalid model name or version: {_first_error(exc)}") from exc
    return ModelArtifact(manifest, model_bytes)


def with_version(artifact: ModelArtifact, version: str) -> ModelArtifact:
    """The same model bytes under another version, validated like a new manifest
    (unsigned: a signature covers the manifest, version included)."""
    try:
        manifest = ModelManifest.model_validate(
            {**artifact.manifest.model_dump(), "version": version}
        )
    except ValidationError as exc:
        raise ModelArtifactError(f"invalid model version {version!r}: {_first_error(exc)}") from exc
    return ModelArtifact(manifest, artifact.model_bytes)


def write_artifact(artifact: ModelArtifact, directory: Path) -> Path:
    """The model file and manifest (what gets signed) in ``directory``; the signature,
    when there is one, beside them as ``model.sig``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / artifact.manifest.artifact).write_bytes(artifact.model_bytes)
    (directory / MANIFEST_FILENAME).write_bytes(manifest_bytes(artifact.manifest))
    if artifact.signature is not None:
        (directory / SIGNATURE_FILENAME).write_bytes(artifact.signature)
    return directory


def manifest_bytes(manifest: ModelManifest) -> bytes:
    """The manifest exactly as published: signed, uploaded and written to disk alike."""
    return manifest.to_json().encode()


def read_artifact(directory: Path) -> ModelArtifact:
    """Load a packaged model from disk, refusing a manifest that does not match its file."""
    manifest_path = directory / MANIFEST_FILENAME
    try:
        manifest = ModelManifest.from_json(manifest_path.read_bytes())
    except FileNotFoundError as exc:
        raise ModelArtifactError(f"no manifest at {manifest_path}") from exc
    except OSError as exc:
        raise ModelArtifactError(f"cannot read manifest {manifest_path}: {exc}") from exc
    except ValidationError as exc:
        raise ModelArtifactError(
            f"manifest {manifest_path} is invalid: {_first_error(exc)}"
        ) from exc
    model_path = directory / manifest.artifact
    try:
        model_bytes = model_path.read_bytes()
    except FileNotFoundError as exc:
        raise ModelArtifactError(
            f"model file {model_path} named by the manifest is missing"
        ) from exc
    except OSError as exc:
        raise ModelArtifactError(f"cannot read model file {model_path}: {exc}") from exc
    actual = sha256_of(model_bytes)
    if actual != manifest.sha256:
        raise ModelArtifactError(
            f"model file {model_path} has sha256 {actual}, but its manifest says "
            f"{manifest.sha256}: the file was changed after packaging"
        )
    return ModelArtifact(manifest, model_bytes)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}"
