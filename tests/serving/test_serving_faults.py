"""DRYDOCK_FAULT_SERVER_ERROR_SHARE: a model that answers 500 on a stable share of inputs."""

from __future__ import annotations

import numpy as np
import pytest
from flask.testing import FlaskClient
from pydantic import ValidationError

from serving.app import create_app
from serving.faults import InjectedServerError, ServerErrorFault, input_position
from serving.model_loading import ServedModel
from serving.settings import ServingSettings, describe_invalid_settings

INPUTS = 20_000


def _rows(count: int, seed: int = 7) -> np.ndarray:
    """Distinct iris-like rows, rounded as a client would send them."""
    rng = np.random.default_rng(seed)
    return np.round(rng.uniform([4.0, 2.0, 1.0, 0.1], [8.0, 4.5, 7.0, 2.5], (count, 4)), 3)


@pytest.mark.parametrize("share", [0.05, 0.3, 0.5, 0.9])
def test_the_share_of_failing_inputs_is_the_configured_one(share: float) -> None:
    fault = ServerErrorFault(share)
    rows = _rows(INPUTS)
    failing = sum(fault.failing_row(row) is not None for row in rows)
    # binomial standard deviation at 20,000 inputs is at most 0.0035: 0.015 is > 4 sigma
    assert abs(failing / INPUTS - share) < 0.015, failing / INPUTS


def test_the_same_input_always_gets_the_same_answer_however_it_is_spelled() -> None:
    fault = ServerErrorFault(0.5)
    rows = _rows(200)
    first = [fault.failing_row(row) for row in rows]
    assert [fault.failing_row(row.copy()) for row in rows] == first
    assert {x for x in first} == {None, 0}  # both answers occur in 200 inputs at 0.5
    # ints and floats, and -0.0 and 0.0, are the same input
    assert input_position(np.array([5, 3, 1, 0])) == input_position(np.array([5.0, 3.0, 1.0, 0.0]))
    assert input_position(np.array([-0.0, 1.0])) == input_position(np.array([0.0, 1.0]))
    assert 0.0 <= input_position(np.array([5.1, 3.5, 1.4, 0.2])) < 1.0


def test_a_batch_fails_when_any_of_its_rows_is_a_failing_input() -> None:
    fault = ServerErrorFault(0.3)
    rows = _rows(100)
    bad = next(i for i, row in enumerate(rows) if fault.failing_row(row) is not None)
    good = [row for row in rows if fault.failing_row(row) is None][:5]
    batch = np.vstack([*good, rows[bad]])
    assert fault.failing_row(np.vstack(good)) is None
    assert fault.failing_row(batch) == len(good)
    with pytest.raises(InjectedServerError, match=r"input row 5 .*SHARE=0.3\)"):
        fault.check(batch)


def test_share_zero_never_fails_and_one_always_fails() -> None:
    rows = _rows(5_000)
    assert all(ServerErrorFault(0.0).failing_row(row) is None for row in rows)
    assert all(ServerErrorFault(1.0).failing_row(row) == 0 for row in rows)


@pytest.mark.parametrize("value", ["-0.1", "1.5", "lots", "nan"])
def test_a_share_outside_zero_to_one_is_refused_naming_the_setting(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRYDOCK_FAULT_SERVER_ERROR_SHARE", value)
    with pytest.raises(ValidationError) as refused:
        ServingSettings(task_id="t")
    assert describe_invalid_settings(refused.value).startswith(
        "invalid configuration: DRYDOCK_FAULT_SERVER_ERROR_SHARE: "
    )


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ServingSettings(task_id="t").fault_server_error_share == 0.0
    monkeypatch.setenv("DRYDOCK_FAULT_SERVER_ERROR_SHARE", "0.25")
    assert ServingSettings(task_id="t").fault_server_error_share == 0.25


@pytest.fixture
def faulty_client(served_iris: ServedModel) -> FlaskClient:
    settings = ServingSettings(task_id="task-faulty", fault_server_error_share=0.5)
    return create_app(settings, model=served_iris).test_client()


def _split(rows: np.ndarray, share: float) -> tuple[list[list[float]], list[list[float]]]:
    fault = ServerErrorFault(share)
    failing = [row.tolist() for row in rows if fault.failing_row(row) is not None]
    passing = [row.tolist() for row in rows if fault.failing_row(row) is None]
    return failing, passing


def test_predict_answers_500_for_failing_inputs_with_identity_headers(
    faulty_client: FlaskClient,
) -> None:
    failing, passing = _split(_rows(40), 0.5)
    for row in failing:
        answer = faulty_client.post("/predict", json={"instances": [row]})
        assert answer.status_code == 500
        assert answer.json["error"]["code"] == "injected_fault"
        assert "DRYDOCK_FAULT_SERVER_ERROR_SHARE=0.5" in answer.json["error"]["message"]
        assert answer.headers["X-Task-Id"] == "task-faulty"
        assert answer.headers["X-Model-Version"] == "7"
    for row in passing:
        answer = faulty_client.post("/predict", json={"instances": [row]})
        assert answer.status_code == 200, answer.json
    # the client's own mistakes stay 4xx: the fault needs a valid input
    assert faulty_client.post("/predict", json={"instances": [[1.0]]}).status_code == 422


def test_oip_infer_fails_the_same_inputs_in_the_protocol_s_shape(
    faulty_client: FlaskClient,
) -> None:
    failing, passing = _split(_rows(40), 0.5)

    def infer(row: list[float]) -> tuple[int, dict[str, object]]:
        body = {"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": row}]}
        answer = faulty_client.post("/v2/models/iris/infer", json=body)
        assert answer.headers["X-Task-Id"] == "task-faulty"
        return answer.status_code, answer.json

    for row in failing:
        status, body = infer(row)
        assert status == 500
        assert str(body["error"]).startswith("injected fault: ")
    assert all(infer(row)[0] == 200 for row in passing)


def test_health_and_readiness_never_fail(served_iris: ServedModel) -> None:
    settings = ServingSettings(task_id="t", fault_server_error_share=1.0)
    client = create_app(settings, model=served_iris).test_client()
    for path in ("/v2/health/live", "/v2/health/ready", "/v2/models/iris/ready", "/metrics"):
        assert client.get(path).status_code == 200, path
    assert client.post("/predict", json={"instances": [[5.1, 3.5, 1.4, 0.2]]}).status_code == 500
