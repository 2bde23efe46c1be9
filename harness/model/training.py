"""Train a scikit-learn model on a dataset that ships inside scikit-learn.

No downloads: the point is a real fitted estimator with honest held-out metrics,
reproducible from a seed, so the same inputs give byte-identical pickles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sklearn import datasets
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

DATASETS: dict[str, Callable[..., Any]] = {
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
    "breast_cancer": datasets.load_breast_cancer,
}


@dataclass(frozen=True)
class TrainedModel:
    estimator: Pipeline
    dataset: str
    feature_names: list[str]
    target_names: list[str]
    metrics: dict[str, float]


def train(dataset: str = "iris", seed: int = 0, regularization: float = 1.0) -> TrainedModel:
    """Fit a scaler + logistic regression and score it on a stratified 25% hold-out."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {sorted(DATASETS)}")
    bunch = DATASETS[dataset]()
    x_train, x_test, y_train, y_test = train_test_split(
        bunch.data, bunch.target, test_size=0.25, random_state=seed, stratify=bunch.target
    )
    estimator = Pipeline(
        [
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(C=regularization, max_iter=1000, random_state=seed)),
        ]
    )
    estimator.fit(x_train, y_train)
    predicted = estimator.predict(x_test)
    metrics = {
        "accuracy": round(float(accuracy_score(y_test, predicted)), 6),
        "f1_macro": round(float(f1_score(y_test, predicted, average="macro")), 6),
        "n_train": float(len(y_train)),
        "n_test": float(len(y_test)),
    }
    return TrainedModel(
        estimator=estimator,
        dataset=dataset,
        feature_names=[str(name) for name in bunch.feature_names],
        target_names=[str(name) for name in bunch.target_names],
        metrics=metrics,
    )
