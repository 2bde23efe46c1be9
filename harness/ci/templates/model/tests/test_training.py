"""The training code's own tests: it runs, it is reproducible, it learns something."""

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training import train  # noqa: E402


def params() -> dict:
    return json.loads((ROOT / "params.json").read_text())


def test_the_parameters_train_a_model_with_held_out_metrics() -> None:
    trained = train(**params())
    assert 0.0 <= trained.metrics["accuracy"] <= 1.0
    assert trained.metrics["n_test"] > 0


def test_training_is_reproducible_from_its_seed() -> None:
    first, second = train(**params()), train(**params())
    assert first.metrics == second.metrics
