"""What the model file itself records must agree with what its manifest claims.

The manifest is written by the pipeline, but it is only a claim: a pickle written by
another scikit-learn under a manifest naming ours loads, warns, and predicts with
whatever that version's internals mean. So after deserialising, the estimator's own
record is compared with the manifest, and any disagreement refuses the model with
both values in the message:

* the scikit-learn each estimator was fitted with (scikit-learn says so only through
  ``InconsistentVersionWarning`` while unpickling; here that warning is a refusal);
* the estimator's class against ``manifest.estimator``;
* its input width (and ``feature_names_in_`` when it has them) against ``feature_names``;
* its ``classes_`` against ``target_names``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np
from sklearn.exceptions import InconsistentVersionWarning

from serving.errors import ModelLoadError
from serving.manifest import ModelManifest

T = TypeVar("T")


class ArtifactDisagrees(ModelLoadError):
    """The model file's own record contradicts its manifest."""


def class_path(estimator: object) -> str:
    kind = type(estimator)
    return f"{kind.__module__}.{kind.__qualname__}"


def names_class(claimed: str, actual: str) -> bool:
    """``claimed`` is the class's own path or its public one (``sklearn.linear_model.
    LogisticRegression`` for ``sklearn.linear_model._logistic.LogisticRegression``): same
    name, in the module or a package above it. Never imported: a manifest is input."""
    if claimed == actual:
        return True
    claimed_module, _, claimed_name = claimed.rpartition(".")
    actual_module, _, actual_name = actual.rpartition(".")
    return bool(claimed_module) and (
        claimed_name == actual_name and actual_module.startswith(claimed_module + ".")
    )


@contextmanager
def _version_warnings() -> Iterator[list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InconsistentVersionWarning)
        yield caught


def without_version_warnings(load: Callable[[], T], manifest: ModelManifest) -> T:
    """Run ``load`` (unpickling or skops loading); refuse if any estimator in it was
    fitted with another scikit-learn, naming each one and both versions.

    Loading runs in the master before workers fork, once, so recording warnings
    process-wide (``catch_warnings`` is not thread-safe) is sound here.
    """
    with _version_warnings() as caught:
        loaded = load()
    fitted: dict[str, list[str]] = {}
    for w in caught:
        if isinstance(w.message, InconsistentVersionWarning):
            names = fitted.setdefault(w.message.original_sklearn_version, [])
            if w.message.estimator_name not in names:
                names.append(w.message.estimator_name)
    if fitted:
        found = "; ".join(
            f"scikit-learn {version} ({', '.join(sorted(names))})"
            for version, names in sorted(fitted.items())
        )
        raise ArtifactDisagrees(
            f"{manifest.artifact} was fitted with {found}, its manifest says scikit-learn "
            f"{manifest.sklearn_version}; retrain with this server's scikit-learn"
        )
    return loaded


def check_claims(manifest: ModelManifest, estimator: Any) -> None:
    """Class, input width, feature names and classes: the file's word against the manifest's."""
    actual = class_path(estimator)
    if not names_class(manifest.estimator, actual):
        raise ArtifactDisagrees(
            f"{manifest.artifact} holds a {actual}, the manifest says {manifest.estimator}"
        )
    width = getattr(estimator, "n_features_in_", None)
    if width is not None and int(width) != manifest.n_features:
        raise ArtifactDisagrees(
            f"{manifest.artifact} was fitted on {int(width)} features, the manifest lists "
            f"{manifest.n_features} feature names"
        )
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and [str(n) for n in names] != manifest.feature_names:
        raise ArtifactDisagrees(
            f"{manifest.artifact} was fitted on features {[str(n) for n in names]}, the "
            f"manifest lists {manifest.feature_names}"
        )
    _check_classes(manifest, estimator)


def _check_classes(manifest: ModelManifest, estimator: Any) -> None:
    """``target_names`` names ``classes_``: same count, and same labels unless the classes
    are the codes 0..n-1 that index the names (how scikit-learn's datasets come)."""
    classes = getattr(estimator, "classes_", None)
    targets = manifest.target_names
    if classes is None:
        if targets is not None:
            raise ArtifactDisagrees(
                f"the manifest names classes {targets}, {manifest.artifact} has no classes_"
            )
        return
    labels = np.asarray(classes).tolist()
    if targets is None:
        if manifest.task == "classification":
            raise ArtifactDisagrees(
                f"{manifest.artifact} has classes {labels}, the manifest names no target_names"
            )
        return
    codes = list(range(len(labels)))
    if len(labels) != len(targets) or (labels != codes and [str(c) for c in labels] != targets):
        raise ArtifactDisagrees(
            f"{manifest.artifact} has classes {labels}, the manifest's target_names are {targets}"
        )
