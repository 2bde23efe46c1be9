"""The model file's own word against its manifest: a disagreement is a refusal naming both.

The foreign-version cases load files really written by scikit-learn 1.8.0, from a
second pinned environment built from PyPI wheels (``harness.testing.foreign_sklearn``;
cached under ``.drydock/``, about 30 s the first time), with manifests that claim this
server's scikit-learn and carry the right sha256: the manifest cannot tell, the file can.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression

from harness.settings import DrydockSettings
from harness.testing.foreign_sklearn import ForeignModel, fit_foreign_model, pinned_version
from serving.artifact_claims import ArtifactDisagrees, class_path, names_class
from serving.manifest import MANIFEST_FILENAME, MODEL_FILENAMES
from serving.model_loading import load_model
from serving.model_source import open_source

from .conftest import IRIS_FEATURES, PublishModel, manifest_for
from .test_serving_process import clean_env


def load(folder: Path) -> Any:
    return load_model(open_source(f"file://{folder}"))


@pytest.fixture(scope="module", params=["pickle", "skops"])
def foreign(request: pytest.FixtureRequest) -> tuple[str, ForeignModel]:
    return request.param, fit_foreign_model(DrydockSettings().state_dir, request.param)


def publish_foreign(folder: Path, fmt: str, model: ForeignModel) -> Path:
    """The foreign file under a manifest claiming this server's scikit-learn, right sha256."""
    manifest = manifest_for(model.model_bytes, fmt, estimator=model.estimator)
    assert manifest.sklearn_version == sklearn.__version__ != model.sklearn_version
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST_FILENAME).write_text(manifest.to_json())
    (folder / MODEL_FILENAMES[fmt]).write_bytes(model.model_bytes)
    return folder


def test_a_file_fitted_by_another_sklearn_is_refused_whatever_the_manifest_claims(
    tmp_path: Path, foreign: tuple[str, ForeignModel]
) -> None:
    fmt, model = foreign
    folder = publish_foreign(tmp_path, fmt, model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the version warning must not leak as a log line
        with pytest.raises(ArtifactDisagrees) as refused:
            load(folder)
    assert str(refused.value) == (
        f"{MODEL_FILENAMES[fmt]} was fitted with scikit-learn {pinned_version()} "
        "(LogisticRegression, Pipeline, StandardScaler), its manifest says scikit-learn "
        f"{sklearn.__version__}; retrain with this server's scikit-learn"
    )


def test_the_server_process_exits_3_on_a_foreign_pickle(tmp_path: Path) -> None:
    fmt, model = "pickle", fit_foreign_model(DrydockSettings().state_dir, "pickle")
    folder = publish_foreign(tmp_path, fmt, model)
    done = subprocess.run(
        [sys.executable, "-m", "serving.wsgi"],
        env=clean_env(DRYDOCK_MODEL_URI=f"file://{folder}"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"scikit-learn {pinned_version()}" in lines[0], done.stderr


def test_the_estimator_class_must_be_the_manifests(
    tmp_path: Path, publish_model: PublishModel
) -> None:
    publish_model(tmp_path, estimator_path="sklearn.ensemble.RandomForestClassifier")
    with pytest.raises(ArtifactDisagrees) as refused:
        load(tmp_path)
    assert str(refused.value) == (
        "model.pkl holds a sklearn.linear_model._logistic.LogisticRegression, "
        "the manifest says sklearn.ensemble.RandomForestClassifier"
    )


OWN = "sklearn.linear_model._logistic.LogisticRegression"


@pytest.mark.parametrize(
    ("claimed", "actual", "same"),
    [
        (
            "sklearn.linear_model.LogisticRegression",
            OWN,
            True,
        ),
        (
            OWN,
            OWN,
            True,
        ),
        ("sklearn.LogisticRegression", OWN, True),
        (
            "sklearn.linear_model.LinearRegression",
            OWN,
            False,
        ),
        (
            "sklearn.linear.LogisticRegression",
            OWN,
            False,
        ),
        ("LogisticRegression", OWN, False),
        ("evil.LogisticRegression", OWN, False),
    ],
)
def test_a_class_is_named_by_its_own_or_a_public_path(
    claimed: str, actual: str, same: bool
) -> None:
    assert names_class(claimed, actual) is same


def test_classes_must_match_target_names(tmp_path: Path, publish_model: PublishModel) -> None:
    publish_model(tmp_path, target_names=["setosa", "versicolor"])
    with pytest.raises(ArtifactDisagrees) as refused:
        load(tmp_path)
    assert str(refused.value) == (
        "model.pkl has classes [0, 1, 2], the manifest's target_names are ['setosa', 'versicolor']"
    )


def test_labelled_classes_must_be_the_target_names(
    tmp_path: Path, publish_model: PublishModel, iris: tuple[np.ndarray, np.ndarray]
) -> None:
    features, target = iris
    names = np.array(["setosa", "versicolor", "virginica"])
    labelled = LogisticRegression(max_iter=500).fit(features, names[target])
    publish_model(tmp_path / "ok", estimator=labelled)
    assert load(tmp_path / "ok").classes == ("setosa", "versicolor", "virginica")
    publish_model(tmp_path / "bad", estimator=labelled, target_names=["a", "b", "c"])
    with pytest.raises(ArtifactDisagrees, match=r"classes \['setosa', .*target_names are \['a'"):
        load(tmp_path / "bad")


def test_a_classifier_needs_target_names_and_a_regressor_has_none(
    tmp_path: Path, publish_model: PublishModel, iris_regressor: Any
) -> None:
    publish_model(tmp_path / "c", target_names=None)
    with pytest.raises(ArtifactDisagrees, match=r"has classes \[0, 1, 2\], the manifest names no"):
        load(tmp_path / "c")
    publish_model(
        tmp_path / "r",
        estimator=iris_regressor,
        estimator_path=class_path(iris_regressor),
        feature_names=IRIS_FEATURES[:3],
        task="regression",
        target_names=["setosa"],
    )
    with pytest.raises(ArtifactDisagrees, match=r"names classes \['setosa'\], model.pkl has no"):
        load(tmp_path / "r")


def test_fitted_feature_names_must_be_the_manifests(
    tmp_path: Path, publish_model: PublishModel, iris_classifier: LogisticRegression
) -> None:
    named = copy.deepcopy(iris_classifier)
    named.feature_names_in_ = np.array(["a", "b", "c", "d"], dtype=object)
    publish_model(tmp_path, estimator=named)
    with pytest.raises(ArtifactDisagrees) as refused:
        load(tmp_path)
    assert str(refused.value) == (
        f"model.pkl was fitted on features ['a', 'b', 'c', 'd'], the manifest lists {IRIS_FEATURES}"
    )
