"""The model manifest: the contract between the model pipeline and the server.

The pipeline writes it next to the model file; the server reads it *before*
touching the model file, so that a tampered, foreign or mislabelled model is
refused without ever being unpickled. It lives in ``serving`` (not ``harness``)
because the serving image ships without the harness, and both sides must agree
on one definition.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ModelFormat = Literal["pickle", "skops"]

MANIFEST_FILENAME = "manifest.json"
MODEL_FILENAMES: dict[str, str] = {"pickle": "model.pkl", "skops": "model.skops"}


class ModelManifest(BaseModel):
    """What a published model claims to be; every field is checked at load time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
    format: ModelFormat
    artifact: str = Field(description="File name of the model next to the manifest.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size_bytes: int = Field(ge=0)
    sklearn_version: str
    numpy_version: str
    python_version: str
    estimator: str = Field(description="Class path of the fitted estimator.")
    task: Literal["classification", "regression"]
    feature_names: list[str] = Field(min_length=1)
    target_names: list[str] | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    dataset: str
    created_at: datetime

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> ModelManifest:
        return cls.model_validate_json(text)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
