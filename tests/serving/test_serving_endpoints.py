"""Every endpoint, answered by an app around a real (tiny) iris model."""

from __future__ import annotations

import numpy as np
import openapi_spec_validator
import pytest
from flask.testing import FlaskClient
from sklearn.linear_model import LinearRegression, LogisticRegression

from serving.app import create_app
from serving.model_loading import ServedModel
from serving.settings import ServingSettings


def test_every_response_carries_model_version_and_task_id(client: FlaskClient) -> None:
    requests = [
        ("GET", "/v2/health/live", None),
        ("GET", "/v2/health/ready", None),
        ("GET", "/v2/models/iris", None),
        ("GET", "/v2/models/unknown", None),
        ("GET", "/no/such/route", None),
        ("GET", "/predict", None),
        ("POST", "/predict", {"instances": "nope"}),
        ("GET", "/metrics", None),
        ("GET", "/openapi.json", None),
    ]
    for method, path, body in requests:
        response = client.open(path, method=method, json=body)
        assert response.headers["X-Model-Version"] == "7", path
        assert response.headers["X-Task-Id"] == "task-test", path


def test_health_and_server_metadata(client: FlaskClient) -> None:
    assert client.get("/v2/health/live").json == {"live": True}
    assert client.get("/v2/health/ready").json == {"ready": True}
    server = client.get("/v2").json
    assert server["name"] == "drydock-serving"
    assert client.get("/v2/models/iris/ready").json == {"name": "iris", "ready": True}
    assert client.get("/v2/models/iris/versions/7/ready").status_code == 200


def test_model_metadata_describes_inputs_and_outputs(client: FlaskClient) -> None:
    import sklearn

    meta = client.get("/v2/models/iris").json
    assert meta["name"] == "iris"
    assert meta["versions"] == ["7"]
    assert meta["platform"] == f"sklearn/{sklearn.__version__}"
    assert meta["inputs"] == [{"name": "input-0", "datatype": "FP64", "shape": [-1, 4]}]
    names = {o["name"]: o for o in meta["outputs"]}
    assert names["predict"]["datatype"] == "INT64"
    assert names["predict_proba"]["shape"] == [-1, 3]
    assert client.get("/v2/models/iris/versions/7").json == meta


@pytest.mark.parametrize(
    "path",
    [
        "/v2/models/other",
        "/v2/models/iris/versions/8",
        "/v2/models/other/ready",
        "/v2/models/iris/versions/6/ready",
    ],
)
def test_unknown_model_or_version_is_404_naming_it(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    error = response.json["error"]  # OIP v2: the message itself
    assert "iris" in error and "not served here" in error


def test_predict_matches_the_estimator(
    client: FlaskClient, iris: tuple[np.ndarray, np.ndarray], iris_classifier: LogisticRegression
) -> None:
    features, _ = iris
    rows = features[::10]
    response = client.post("/predict", json={"instances": rows.tolist()})
    assert response.status_code == 200
    body = response.json
    assert body["model"] == "iris"
    assert body["model_version"] == "7"
    assert body["predictions"] == iris_classifier.predict(rows).tolist()
    np.testing.assert_allclose(body["probabilities"], iris_classifier.predict_proba(rows))
    # three classes present: a constant answer would not pass
    assert len(set(body["predictions"])) == 3


def test_a_batch_is_one_vectorised_call(
    served_iris: ServedModel, settings: ServingSettings
) -> None:
    calls: list[int] = []

    class Counting:
        def __init__(self, inner: LogisticRegression) -> None:
            self.inner = inner
            self.n_features_in_ = inner.n_features_in_
            self.classes_ = inner.classes_

        def predict(self, matrix: np.ndarray) -> np.ndarray:
            calls.append(len(matrix))
            return self.inner.predict(matrix)

        def predict_proba(self, matrix: np.ndarray) -> np.ndarray:
            return self.inner.predict_proba(matrix)

    model = ServedModel.from_estimator(Counting(served_iris.estimator), name="iris", version="7")
    client = create_app(settings, model=model).test_client()
    calls.clear()  # the warm-up prediction
    rows = np.random.default_rng(0).uniform(0, 8, size=(500, 4)).tolist()
    assert client.post("/predict", json={"instances": rows}).status_code == 200
    assert calls == [500]


def test_model_without_proba_returns_no_probabilities(
    settings: ServingSettings, iris_regressor: LinearRegression
) -> None:
    model = ServedModel.from_estimator(iris_regressor, name="petal", version="1")
    client = create_app(settings, model=model).test_client()
    rows = [[5.1, 3.5, 1.4], [6.7, 3.0, 5.2]]
    body = client.post("/predict", json={"instances": rows}).json
    assert "probabilities" not in body
    np.testing.assert_allclose(body["predictions"], iris_regressor.predict(np.array(rows)))
    infer = client.post(
        "/v2/models/petal/infer",
        json={"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP64", "data": rows}]},
    ).json
    assert [o["name"] for o in infer["outputs"]] == ["predict"]
    assert infer["outputs"][0]["datatype"] == "FP64"
    meta = client.get("/v2/models/petal").json
    assert [o["name"] for o in meta["outputs"]] == ["predict"]


@pytest.mark.parametrize("nested", [True, False])
@pytest.mark.parametrize("datatype", ["FP32", "FP64"])
def test_oip_infer_matches_the_estimator(
    client: FlaskClient,
    iris: tuple[np.ndarray, np.ndarray],
    iris_classifier: LogisticRegression,
    nested: bool,
    datatype: str,
) -> None:
    features, _ = iris
    rows = features[::25]
    data = rows.tolist() if nested else rows.ravel().tolist()
    request = {
        "id": "req-42",
        "inputs": [
            {"name": "input-0", "shape": list(rows.shape), "datatype": datatype, "data": data}
        ],
    }
    response = client.post("/v2/models/iris/infer", json=request)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["model_name"] == "iris"
    assert body["model_version"] == "7"
    assert body["id"] == "req-42"
    outputs = {o["name"]: o for o in body["outputs"]}
    expected = iris_classifier.predict(rows.astype(np.float32 if datatype == "FP32" else float))
    assert outputs["predict"]["shape"] == [len(rows)]
    assert outputs["predict"]["datatype"] == "INT64"
    assert outputs["predict"]["data"] == expected.tolist()
    proba = outputs["predict_proba"]
    assert proba["shape"] == [len(rows), 3]
    np.testing.assert_allclose(
        np.reshape(proba["data"], proba["shape"]), iris_classifier.predict_proba(rows), rtol=1e-4
    )


def test_oip_infer_single_row_integer_input_and_requested_outputs(
    client: FlaskClient, iris_classifier: LogisticRegression
) -> None:
    row = [6, 3, 5, 2]
    request = {
        "inputs": [{"name": "x", "shape": [4], "datatype": "INT32", "data": row}],
        "outputs": [{"name": "predict"}],
    }
    body = client.post("/v2/models/iris/versions/7/infer", json=request).json
    assert "id" not in body
    assert [o["name"] for o in body["outputs"]] == ["predict"]
    assert body["outputs"][0]["data"] == iris_classifier.predict(np.array([row], float)).tolist()


def test_openapi_document_describes_the_model(client: FlaskClient) -> None:
    doc = client.get("/openapi.json").json
    assert doc["openapi"].startswith("3.")
    for path in ("/predict", "/v2/models/{name}/infer", "/v2/health/ready", "/metrics"):
        assert path in doc["paths"]
    row = doc["components"]["schemas"]["PredictRequest"]["properties"]["instances"]["items"]
    assert row["minItems"] == row["maxItems"] == 4


def test_openapi_document_is_valid_openapi(client: FlaskClient) -> None:
    openapi_spec_validator.validate(client.get("/openapi.json").json)


def test_metrics_count_requests_by_route_and_status(client: FlaskClient) -> None:
    client.post("/predict", json={"instances": [[1, 2, 3, 4]]})
    client.post("/predict", json={"instances": [[1, 2, 3, 4]]})
    client.post("/predict", json={"instances": []})
    client.get("/v2/models/nope")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'drydock_requests_total{method="POST",route="/predict",status="200"} 2.0' in text
    assert 'drydock_requests_total{method="POST",route="/predict",status="422"} 1.0' in text
    assert 'route="/v2/models/<name>",status="404"' in text
    assert 'drydock_request_duration_seconds_bucket{le="0.5",route="/predict"} 3.0' in text
    assert 'drydock_model_info{name="iris",sklearn_version=' in text
    assert 'version="7"} 1.0' in text
