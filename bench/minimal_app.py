"""The ceiling: the least a Flask app can do to serve ``POST /predict``.

It loads the same pickle the serving container loads and answers with the same
fields (labels and class probabilities), but skips everything Drydock adds:
input validation, metrics, lifecycle, headers. Run under gunicorn with the
container's settings, the gap between the two is the cost of those additions
plus the container's networking, not of Flask or gunicorn themselves.
"""

from __future__ import annotations

import json
import os
import pickle
from typing import Any

import numpy as np
from flask import Flask, Response, request

MODEL_ENV = "BENCH_MODEL_PICKLE"

with open(os.environ[MODEL_ENV], "rb") as _file:
    # Our own artifact, fetched from our own store by the benchmark: trusted.
    estimator: Any = pickle.load(_file)

app = Flask(__name__)


@app.post("/predict")
def predict() -> Response:
    """json -> numpy -> predict (+ predict_proba, as the container does) -> json."""
    matrix = np.asarray(request.get_json()["instances"], dtype=np.float64)
    answer = {
        "predictions": estimator.predict(matrix).tolist(),
        "probabilities": estimator.predict_proba(matrix).tolist(),
    }
    return Response(json.dumps(answer), mimetype="application/json")
