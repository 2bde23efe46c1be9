"""The Open Inference Protocol v2 paths answer as the spec says, errors included.

Every OIP answer in the serving tests already passes ``check_oip_answer`` (conftest's
client); these tests show that check bites, and pin the error contract itself.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from .conftest import OipCheckingClient
from .oip_spec import check_oip_answer

INFER = "/v2/models/iris/infer"
GOOD = {"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": [1, 2, 3, 4]}]}


def test_the_serving_tests_check_every_oip_answer(client: FlaskClient) -> None:
    assert isinstance(client, OipCheckingClient)


@pytest.mark.parametrize(
    ("status", "body", "why"),
    [
        (400, {"error": {"code": "invalid_input", "message": "x"}}, "is not of type 'string'"),
        (422, {"error": "bad tensor"}, "not an OIP status"),
        (400, {"message": "bad tensor"}, "'error' is a required property"),
        (200, {"model_name": "iris"}, "'outputs' is a required property"),
        (200, {"model_name": "iris", "outputs": [{"name": "p", "data": [1]}]}, "'shape'"),
    ],
)
def test_the_check_refuses_what_the_spec_does_not_allow(
    status: int, body: dict[str, Any], why: str
) -> None:
    with pytest.raises(AssertionError, match=why):
        check_oip_answer("POST", INFER, status, body)


def test_bad_input_on_infer_is_400_with_the_message_as_the_error(client: FlaskClient) -> None:
    response = client.post(INFER, json={"inputs": []})
    assert response.status_code == 400
    assert response.json == {"error": "'inputs' must be an array holding exactly one tensor"}


def test_bad_json_and_unknown_model_keep_their_status_in_the_oip_shape(
    client: FlaskClient,
) -> None:
    bad_json = client.post(INFER, data="{", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    assert bad_json.json["error"].startswith("body is not valid JSON")
    unknown = client.get("/v2/models/other")
    assert unknown.status_code == 404
    assert set(unknown.json) == {"error"} and "'other'" in unknown.json["error"]
    wrong_method = client.get(INFER)
    assert wrong_method.status_code == 405 and isinstance(wrong_method.json["error"], str)


def test_predict_keeps_its_richer_errors(client: FlaskClient) -> None:
    response = client.post("/predict", json={"instances": []})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_input"


def test_published_openapi_gives_oip_paths_the_oip_error(client: FlaskClient) -> None:
    doc = client.get("/openapi.json").json
    assert doc["components"]["schemas"]["OipError"]["properties"] == {"error": {"type": "string"}}
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status, answer in operation["responses"].items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema")
                if path.startswith("/v2") and int(status) >= 400:
                    assert status != "422", (path, method)
                    assert schema == {"$ref": "#/components/schemas/OipError"}, (path, status)
