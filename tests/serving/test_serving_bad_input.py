"""Bad input never yields a 5xx: each class of mistake gets a 4xx JSON error naming it.

Property tests (hypothesis) throw arbitrary JSON, bytes and near-valid tensors at
the endpoints; example tests pin the status and the message for each class.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from serving.app import create_app
from serving.model_loading import ServedModel
from serving.oip_errors import is_oip_path
from serving.settings import ServingSettings

from .conftest import IRIS_FEATURES

MAX_BODY = 4096
PREDICT = "/predict"
INFER = "/v2/models/iris/infer"
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def fuzz_client(iris_classifier: LogisticRegression) -> FlaskClient:
    model = ServedModel.from_estimator(
        iris_classifier, name="iris", version="7", feature_names=IRIS_FEATURES
    )
    config = ServingSettings(task_id="fuzz", max_body_bytes=MAX_BODY, max_batch_rows=50)
    return create_app(config, model=model).test_client()


def assert_client_error(response: Any) -> dict[str, Any]:
    """The error's code and message; on OIP paths the spec's shape (no code, never 422)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:300])
    body = response.get_json()
    assert set(body) == {"error"}
    assert response.headers["X-Model-Version"] == "7"
    if is_oip_path(response.request.path):
        assert isinstance(body["error"], str) and body["error"]
        assert response.status_code != 422
        return {"message": body["error"]}
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def post_raw(client: FlaskClient, path: str, data: bytes | str, ctype: str | None = None) -> Any:
    headers = {"Content-Type": ctype} if ctype else {}
    return client.post(path, data=data, headers=headers)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)
number_or_junk = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.lists(st.integers(), max_size=2),
)
rows = st.lists(st.lists(number_or_junk, min_size=0, max_size=6), min_size=0, max_size=5)


def is_finite_number(value: float) -> bool:
    try:
        return bool(np.isfinite(float(value)))
    except OverflowError:  # an int beyond float range
        return False


def dumps(value: Any) -> str:
    """JSON as a careless client would send it: NaN and Infinity literals included."""
    return json.dumps(value, allow_nan=True)


@FUZZ
@given(body=json_values)
def test_any_json_document_to_predict_is_never_a_5xx(fuzz_client: FlaskClient, body: Any) -> None:
    response = post_raw(fuzz_client, PREDICT, dumps(body), "application/json")
    assert response.status_code < 500
    if response.status_code != 200:
        assert_client_error(response)


@FUZZ
@given(instances=rows)
def test_near_valid_instances_are_answered_or_refused_cleanly(
    fuzz_client: FlaskClient, instances: list[list[Any]]
) -> None:
    response = post_raw(fuzz_client, PREDICT, dumps({"instances": instances}), "application/json")
    valid = bool(instances) and all(
        len(row) == 4 and all(type(v) in (int, float) and is_finite_number(v) for v in row)
        for row in instances
    )
    if valid and response.status_code == 200:
        assert len(response.get_json()["predictions"]) == len(instances)
    elif valid:
        # finite but huge values (1e308) overflow the model: refused as the input's fault
        assert "not finite" in assert_client_error(response)["message"]
        assert max(abs(float(v)) for row in instances for v in row) > 1e100
    else:
        assert_client_error(response)


@FUZZ
@given(
    instances=st.lists(
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=4, max_size=4),
        min_size=1,
        max_size=20,
    )
)
def test_valid_batches_get_the_estimators_answer(
    fuzz_client: FlaskClient, iris_classifier: LogisticRegression, instances: list[list[float]]
) -> None:
    response = fuzz_client.post(PREDICT, json={"instances": instances})
    assert response.status_code == 200
    assert response.get_json()["predictions"] == iris_classifier.predict(instances).tolist()


@FUZZ
@given(body=st.binary(max_size=200))
def test_arbitrary_bytes_are_a_4xx(fuzz_client: FlaskClient, body: bytes) -> None:
    for path in (PREDICT, INFER):
        response = post_raw(fuzz_client, path, body, "application/json")
        if response.status_code != 200:
            assert_client_error(response)


tensors = st.fixed_dictionaries(
    {
        "name": st.one_of(st.just("input-0"), json_values),
        "shape": st.one_of(st.lists(st.integers(-2, 6), min_size=0, max_size=3), json_values),
        "datatype": st.one_of(
            st.sampled_from(["FP32", "FP64", "INT8", "INT64", "UINT8", "BOOL", "BYTES", "fp64"]),
            json_values,
        ),
        "data": st.one_of(rows, st.lists(number_or_junk, max_size=12), json_values),
    }
)


@FUZZ
@given(
    request=st.fixed_dictionaries(
        {"inputs": st.one_of(st.lists(tensors, max_size=2), json_values)},
        optional={
            "id": json_values,
            "outputs": st.one_of(
                st.lists(
                    st.fixed_dictionaries(
                        {"name": st.sampled_from(["predict", "predict_proba", "x"])}
                    ),
                    max_size=2,
                ),
                json_values,
            ),
        },
    )
)
def test_any_inference_request_is_never_a_5xx(
    fuzz_client: FlaskClient, request: dict[str, Any]
) -> None:
    response = post_raw(fuzz_client, INFER, dumps(request), "application/json")
    assert response.status_code < 500
    if response.status_code == 200:
        outputs = response.get_json()["outputs"]
        assert outputs and all(o["name"] in ("predict", "predict_proba") for o in outputs)
    else:
        assert_client_error(response)


# --- one example per class, with the status and the message it must name ------------------

GOOD_ROW = [5.1, 3.5, 1.4, 0.2]


@pytest.mark.parametrize(
    ("data", "ctype", "status", "code", "names"),
    [
        ('{"instances": [[1,2,3,4]', "application/json", 400, "invalid_json", "not valid JSON"),
        (b"\xff\xfe{}", "application/json", 400, "invalid_json", "JSON"),
        ("", "application/json", 400, "invalid_json", "empty"),
        ("[" * 100_000 + "]" * 100_000, "application/json", 413, "payload_too_large", ""),
        ("[" * 2000 + "]" * 2000, "application/json", 400, "invalid_json", "JSON"),
        (
            dumps({"instances": [GOOD_ROW]}),
            "text/plain",
            415,
            "unsupported_media_type",
            "text/plain",
        ),
        (dumps({"instances": [GOOD_ROW]}), None, 415, "unsupported_media_type", "missing"),
        (
            dumps({"instances": [[1, 2, 3]]}),
            "application/json",
            422,
            "invalid_input",
            "instances[0] has 3 features, the model takes 4",
        ),
        (
            dumps({"instances": [[1, 2, 3, "4"]]}),
            "application/json",
            422,
            "invalid_input",
            "instances[0][3] is a string",
        ),
        (
            dumps({"instances": [[1, 2, 3, True]]}),
            "application/json",
            422,
            "invalid_input",
            "instances[0][3] is a boolean",
        ),
        (dumps({"instances": [[1, 2, 3, None]]}), "application/json", 422, "invalid_input", "null"),
        ('{"instances": [[1, 2, 3, NaN]]}', "application/json", 422, "invalid_input", "NaN"),
        (
            '{"instances": [[1, 2, 3, -Infinity]]}',
            "application/json",
            422,
            "invalid_input",
            "infinity",
        ),
        ('{"instances": [[1, 2, 3, 1e999]]}', "application/json", 422, "invalid_input", "infinity"),
        (
            dumps({"instances": [[1, 2, 3, 10**400]]}),
            "application/json",
            422,
            "invalid_input",
            "out of range",
        ),
        (dumps({"instances": []}), "application/json", 422, "invalid_input", "empty"),
        (dumps({"rows": [GOOD_ROW]}), "application/json", 422, "invalid_input", "'instances'"),
        (dumps([GOOD_ROW]), "application/json", 422, "invalid_input", "expected an object"),
        (
            dumps({"instances": [GOOD_ROW] * 51}),
            "application/json",
            413,
            "payload_too_large",
            "at most 50",
        ),
        (dumps({"instances": [GOOD_ROW] * 200}), "application/json", 413, "payload_too_large", ""),
    ],
)
def test_predict_bad_input_classes(
    fuzz_client: FlaskClient,
    data: str | bytes,
    ctype: str | None,
    status: int,
    code: str,
    names: str,
) -> None:
    response = post_raw(fuzz_client, PREDICT, data, ctype)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    error = assert_client_error(response)
    assert error["code"] == code
    assert names in error["message"]


def tensor(**overrides: Any) -> dict[str, Any]:
    base = {"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": GOOD_ROW}
    return {"inputs": [{**base, **overrides}]}


@pytest.mark.parametrize(
    ("path", "payload", "status", "names"),
    [
        ("/v2/models/other/infer", tensor(), 404, "'other' is not served"),
        ("/v2/models/iris/versions/9/infer", tensor(), 404, "version '9'"),
        (INFER, {"inputs": []}, 400, "exactly one tensor"),
        (INFER, tensor(datatype="BYTES"), 400, "'BYTES' is not supported"),
        (INFER, tensor(shape=[1, 3]), 400, "3 features, the model takes 4"),
        (INFER, tensor(shape=[2, 4]), 400, "data has 4 values, shape [2, 4] needs 8"),
        (INFER, tensor(shape=[0, 4], data=[]), 400, "no rows"),
        (INFER, tensor(shape=[-1, 4]), 400, "shape must be"),
        (INFER, tensor(datatype="INT32", data=[1, 2, 3, 4.5]), 400, "expected an integer"),
        (INFER, tensor(datatype="INT8", data=[1, 2, 3, 300]), 400, "out of range for int8"),
        (INFER, tensor(data=[[[[[[[[[[[1, 2, 3, 4]]]]]]]]]]]), 400, "nested too deeply"),
        (INFER, {**tensor(), "id": 5}, 400, "'id' must be a string"),
        (INFER, {**tensor(), "outputs": [{"name": "nope"}]}, 400, "unknown output(s) 'nope'"),
    ],
)
def test_infer_bad_input_classes(
    fuzz_client: FlaskClient, path: str, payload: dict[str, Any], status: int, names: str
) -> None:
    response = fuzz_client.post(path, json=payload)
    assert response.status_code == status, response.get_json()
    assert names in assert_client_error(response)["message"]


def test_body_limit_applies_to_chunked_uploads_too(fuzz_client: FlaskClient) -> None:
    body = dumps({"instances": [GOOD_ROW] * 300}).encode()
    response = fuzz_client.post(
        PREDICT,
        input_stream=io.BytesIO(body),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        # what gunicorn declares for a chunked body it de-chunks
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert_client_error(response)


def test_wrong_method_and_unknown_route_are_json_4xx(fuzz_client: FlaskClient) -> None:
    wrong_method = fuzz_client.get(PREDICT)
    assert wrong_method.status_code == 405
    assert "POST" in wrong_method.headers["Allow"]
    assert_client_error(wrong_method)
    assert_client_error(fuzz_client.get("/v1/models/iris:predict"))


def test_default_limits_accept_a_normal_batch(
    settings: ServingSettings, served_iris: ServedModel
) -> None:
    client = create_app(settings, model=served_iris).test_client()
    response = client.post(PREDICT, json={"instances": [GOOD_ROW] * 1000})
    assert response.status_code == 200
