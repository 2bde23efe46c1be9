"""Fixtures for the serving tests: tiny real models, published the way the pipeline does."""

from __future__ import annotations

import pickle
import platform
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sklearn
from flask import Flask
from flask.testing import FlaskClient
from sklearn.datasets import load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression

from serving.app import create_app
from serving.manifest import MANIFEST_FILENAME, MODEL_FILENAMES, ModelManifest, sha256_of
from serving.model_loading import ServedModel
from serving.oip_errors import is_oip_path
from serving.settings import ServingSettings

from .oip_spec import check_oip_answer

IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]

PublishModel = Callable[..., ModelManifest]


class OipCheckingClient(FlaskClient):
    """A test client that checks every answer on ``/v2`` against the OIP v2 spec."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = super().open(*args, **kwargs)
        sent = response.request
        if is_oip_path(sent.path) and sent.method != "HEAD":
            body = response.get_json(silent=True)
            check_oip_answer(sent.method, sent.path, response.status_code, body)
        return response


@pytest.fixture(scope="session", autouse=True)
def _every_oip_answer_is_checked() -> Iterator[None]:
    """Whatever app a serving test builds (module-scoped ones too), its OIP answers are
    held to the spec."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Flask, "test_client_class", OipCheckingClient)
        yield


@pytest.fixture(scope="session")
def iris() -> tuple[np.ndarray, np.ndarray]:
    features, target = load_iris(return_X_y=True)
    return features, target


@pytest.fixture(scope="session")
def iris_classifier(iris: tuple[np.ndarray, np.ndarray]) -> LogisticRegression:
    features, target = iris
    return LogisticRegression(max_iter=500).fit(features, target)


@pytest.fixture(scope="session")
def iris_regressor(iris: tuple[np.ndarray, np.ndarray]) -> LinearRegression:
    """A model without predict_proba: responses must then carry no probabilities."""
    features, _ = iris
    return LinearRegression().fit(features[:, :3], features[:, 3])


@pytest.fixture
def settings() -> ServingSettings:
    return ServingSettings(task_id="task-test", model_uri=None)


@pytest.fixture
def served_iris(iris_classifier: LogisticRegression) -> ServedModel:
    return ServedModel.from_estimator(
        iris_classifier, name="iris", version="7", feature_names=IRIS_FEATURES
    )


@pytest.fixture
def app(settings: ServingSettings, served_iris: ServedModel) -> Flask:
    return create_app(settings, model=served_iris)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def serialize(estimator: Any, fmt: str) -> bytes:
    if fmt == "skops":
        import skops.io as sio

        return sio.dumps(estimator)
    return pickle.dumps(estimator)


def manifest_for(data: bytes, fmt: str, **overrides: Any) -> ModelManifest:
    fields: dict[str, Any] = {
        "name": "iris",
        "version": "7",
        "format": fmt,
        "artifact": MODEL_FILENAMES[fmt],
        "sha256": sha256_of(data),
        "size_bytes": len(data),
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "estimator": "sklearn.linear_model.LogisticRegression",
        "task": "classification",
        "feature_names": IRIS_FEATURES,
        "target_names": ["setosa", "versicolor", "virginica"],
        "metrics": {"accuracy": 0.97},
        "dataset": "sklearn.datasets.load_iris",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    fields.update(overrides)
    return ModelManifest(**fields)


@pytest.fixture
def publish_model(iris_classifier: LogisticRegression) -> PublishModel:
    """Write manifest.json + model file into a directory, as the model pipeline does.

    ``payload`` replaces the model bytes *after* the manifest was computed
    (a tampered or corrupt file); ``estimator_path`` is the manifest's ``estimator``
    (the class the file holds); other keywords override manifest fields.
    """

    def publish(
        directory: Path,
        estimator: Any = None,
        fmt: str = "pickle",
        payload: bytes | None = None,
        estimator_path: str | None = None,
        **overrides: Any,
    ) -> ModelManifest:
        if estimator_path is not None:
            overrides["estimator"] = estimator_path
        data = serialize(iris_classifier if estimator is None else estimator, fmt)
        manifest = manifest_for(data, fmt, **overrides)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / MANIFEST_FILENAME).write_text(manifest.to_json())
        (directory / manifest.artifact).write_bytes(data if payload is None else payload)
        return manifest

    return publish
