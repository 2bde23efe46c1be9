"""Request payloads to a feature matrix, and one vectorised prediction per batch.

This is the hot path, so it stays lean: plain ``type()`` checks on JSON values
(no per-request pydantic models) and one ``np.array`` per batch. Every check
exists because the alternative is a 5xx or a silently wrong answer: numpy
would happily turn ``"1.5"`` or ``true`` into a number, and scikit-learn raises
on NaN deep inside ``predict``.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any

import numpy as np
from sklearn import config_context

from serving.errors import InvalidInput, PayloadTooLarge
from serving.model_loading import ServedModel

#: OIP v2 tensor datatypes we accept as features, with the Python types their
#: JSON values may have. Integers are valid floats; floats are not valid integers.
_INT_TYPES = (int,)
_FLOAT_TYPES = (int, float)
DATATYPES: dict[str, tuple[tuple[type, ...], Any]] = {
    "FP16": (_FLOAT_TYPES, np.float16),
    "FP32": (_FLOAT_TYPES, np.float32),
    "FP64": (_FLOAT_TYPES, np.float64),
    **{f"INT{b}": (_INT_TYPES, getattr(np, f"int{b}")) for b in (8, 16, 32, 64)},
    **{f"UINT{b}": (_INT_TYPES, getattr(np, f"uint{b}")) for b in (8, 16, 32, 64)},
}


@dataclass(frozen=True)
class Prediction:
    """One batch's outputs, still as numpy arrays (serialising is the endpoint's job)."""

    labels: np.ndarray
    probabilities: np.ndarray | None


def _check_numbers(values: list[Any], allowed: tuple[type, ...], where: str) -> None:
    """Every value a JSON number of an allowed kind (bool is an int subclass: refused)."""
    for j, value in enumerate(values):
        if type(value) not in allowed:
            kind = "an integer" if allowed is _INT_TYPES else "a number"
            raise InvalidInput(f"{where}[{j}] is {_describe(value)}, expected {kind}")


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, float):
        return "a float"
    return type(value).__name__


def _finite_matrix(rows: Any, dtype: Any, where: str) -> np.ndarray:
    """Values already type-checked; convert once and refuse NaN, inf and out-of-range."""
    try:
        matrix = np.array(rows, dtype=dtype)
    except (OverflowError, ValueError):
        raise InvalidInput(
            f"{where} holds a value out of range for {np.dtype(dtype).name}"
        ) from None
    if matrix.dtype.kind == "f" and not np.isfinite(matrix).all():
        raise InvalidInput(f"{where} holds NaN or infinity; features must be finite numbers")
    if matrix.dtype != np.float64:
        matrix = matrix.astype(np.float64)
    return matrix


def rows_from_instances(body: Any, n_features: int, max_rows: int) -> np.ndarray:
    """``{"instances": [[...], ...]}`` to an (n, n_features) float64 matrix."""
    if type(body) is not dict:
        raise InvalidInput(f"body is {_describe(body)}, expected an object with 'instances'")
    instances = body.get("instances")
    if type(instances) is not list:
        if "instances" not in body:
            raise InvalidInput("body has no 'instances' field")
        raise InvalidInput(f"'instances' is {_describe(instances)}, expected an array of rows")
    if not instances:
        raise InvalidInput("'instances' is empty; send at least one row")
    if len(instances) > max_rows:
        raise PayloadTooLarge(f"{len(instances)} rows, at most {max_rows} per request")
    for i, row in enumerate(instances):
        if type(row) is not list:
            raise InvalidInput(f"instances[{i}] is {_describe(row)}, expected an array of numbers")
        if len(row) != n_features:
            raise InvalidInput(
                f"instances[{i}] has {len(row)} features, the model takes {n_features}"
            )
        _check_numbers(row, _FLOAT_TYPES, f"instances[{i}]")
    return _finite_matrix(instances, np.float64, "instances")


def _flatten(data: list[Any], where: str) -> list[Any]:
    """OIP allows row-major nested arrays as well as flat ones; make them flat."""
    if not any(type(v) is list for v in data):
        return data
    flat: list[Any] = []

    def walk(items: list[Any], depth: int) -> None:
        # bounded depth: a deeply nested payload must get a 4xx, not a RecursionError
        if depth > 8:
            raise InvalidInput(f"{where} is nested too deeply")
        for value in items:
            if type(value) is list:
                walk(value, depth + 1)
            else:
                flat.append(value)

    walk(data, 0)
    return flat


def rows_from_tensor(body: Any, n_features: int, max_rows: int) -> tuple[np.ndarray, str]:
    """An OIP v2 inference request's single input tensor to a float64 matrix.

    Returns the matrix and the input's name. Shape ``[rows, n_features]`` or
    ``[n_features]`` (one row); ``data`` flat or nested, row-major.
    """
    if type(body) is not dict:
        raise InvalidInput(f"body is {_describe(body)}, expected an inference request object")
    inputs = body.get("inputs")
    if type(inputs) is not list or len(inputs) != 1:
        raise InvalidInput("'inputs' must be an array holding exactly one tensor")
    tensor = inputs[0]
    if type(tensor) is not dict:
        raise InvalidInput(f"inputs[0] is {_describe(tensor)}, expected a tensor object")
    name, shape, datatype, data = (
        tensor.get("name"),
        tensor.get("shape"),
        tensor.get("datatype"),
        tensor.get("data"),
    )
    if type(name) is not str:
        raise InvalidInput("inputs[0].name must be a string")
    if type(datatype) is not str or datatype not in DATATYPES:
        raise InvalidInput(
            f"inputs[0].datatype {datatype!r} is not supported; use one of {', '.join(DATATYPES)}"
        )
    if (
        type(shape) is not list
        or not 1 <= len(shape) <= 2
        or any(type(d) is not int or d < 0 for d in shape)
    ):
        raise InvalidInput("inputs[0].shape must be [rows, features] or [features]")
    if shape[-1] != n_features:
        raise InvalidInput(
            f"inputs[0].shape {shape} has {shape[-1]} features, the model takes {n_features}"
        )
    rows = shape[0] if len(shape) == 2 else 1
    if rows == 0:
        raise InvalidInput("inputs[0] has no rows; send at least one")
    if rows > max_rows:
        raise PayloadTooLarge(f"{rows} rows, at most {max_rows} per request")
    if type(data) is not list:
        raise InvalidInput(f"inputs[0].data is {_describe(data)}, expected an array")
    flat = _flatten(data, "inputs[0].data")
    if len(flat) != prod(shape):
        raise InvalidInput(
            f"inputs[0].data has {len(flat)} values, shape {shape} needs {prod(shape)}"
        )
    allowed, dtype = DATATYPES[datatype]
    _check_numbers(flat, allowed, "inputs[0].data")
    matrix = _finite_matrix(flat, dtype, "inputs[0].data")
    return matrix.reshape(rows, n_features), name


def predict(model: ServedModel, matrix: np.ndarray) -> Prediction:
    """One vectorised call per batch (and one for probabilities, when the model has them).

    Finite but huge features (1e308) overflow inside the estimator and come out
    as NaN: that is the input's fault, so it is refused as such, not sent on as
    invalid JSON or a 500.
    """
    estimator = model.estimator
    # assume_finite: the matrix was checked above, so scikit-learn need not check it twice.
    with np.errstate(all="ignore"), config_context(assume_finite=True):
        labels = np.asarray(estimator.predict(matrix))
        probabilities = np.asarray(estimator.predict_proba(matrix)) if model.has_proba else None
    for output in (labels, probabilities):
        if output is not None and output.dtype.kind == "f" and not np.isfinite(output).all():
            raise InvalidInput(
                "the model's output is not finite for these inputs; "
                "feature values are far outside the range it was trained on"
            )
    return Prediction(labels=labels, probabilities=probabilities)


def oip_datatype(array: np.ndarray) -> str:
    """The OIP v2 datatype of an output array (labels may be ints, floats or strings)."""
    kind, size = array.dtype.kind, array.dtype.itemsize * 8
    if kind == "f":
        return f"FP{size}"
    if kind == "i":
        return f"INT{size}"
    if kind == "u":
        return f"UINT{size}"
    if kind == "b":
        return "BOOL"
    return "BYTES"
