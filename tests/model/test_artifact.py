from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import sklearn
from sklearn import datasets

from harness.errors import ModelArtifactError
from harness.model.artifact import package, read_artifact, with_version, write_artifact
from harness.model.training import TrainedModel, train
from serving.manifest import sha256_of


@pytest.fixture(scope="module")
def trained() -> TrainedModel:
    return train("iris")


def test_manifest_describes_the_serialised_bytes(trained: TrainedModel) -> None:
    artifact = package(trained, "iris", "1")
    manifest = artifact.manifest

    assert manifest.sha256 == sha256_of(artifact.model_bytes)
    assert manifest.size_bytes == len(artifact.model_bytes)
    assert manifest.sklearn_version == sklearn.__version__
    assert manifest.feature_names == list(datasets.load_iris().feature_names)
    assert 0.8 < manifest.metrics["accuracy"] <= 1.0
    model = pickle.loads(artifact.model_bytes)
    iris = datasets.load_iris()
    assert (model.predict(iris.data) == iris.target).mean() > 0.9


def test_training_is_reproducible_to_the_byte(trained: TrainedModel) -> None:
    assert (
        package(train("iris"), "iris", "1").model_bytes == package(trained, "iris", "1").model_bytes
    )


def test_skops_format_round_trips(trained: TrainedModel) -> None:
    import skops.io

    artifact = package(trained, "iris", "1", "skops")
    assert artifact.manifest.artifact == "model.skops"
    model = skops.io.loads(
        artifact.model_bytes, trusted=skops.io.get_untrusted_types(data=artifact.model_bytes)
    )
    row = np.array([[5.1, 3.5, 1.4, 0.2]])
    assert model.predict(row).tolist() == trained.estimator.predict(row).tolist()


def test_read_artifact_refuses_a_changed_model_file(tmp_path: Path, trained: TrainedModel) -> None:
    write_artifact(package(trained, "iris", "1"), tmp_path)
    (tmp_path / "model.pkl").write_bytes(b"tampered")
    with pytest.raises(ModelArtifactError, match="was changed after packaging"):
        read_artifact(tmp_path)


def test_read_artifact_names_a_missing_file(tmp_path: Path, trained: TrainedModel) -> None:
    write_artifact(package(trained, "iris", "1"), tmp_path)
    (tmp_path / "model.pkl").unlink()
    with pytest.raises(
        ModelArtifactError, match=r"model file .*model.pkl named by the manifest is missing"
    ):
        read_artifact(tmp_path)
    with pytest.raises(ModelArtifactError, match="no manifest at"):
        read_artifact(tmp_path / "elsewhere")


def test_invalid_version_is_refused(trained: TrainedModel) -> None:
    with pytest.raises(ModelArtifactError, match="invalid model version"):
        with_version(package(trained, "iris", "1"), "../etc")
