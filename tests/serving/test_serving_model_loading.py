"""Safe model loading: every check refuses with a reason, and nothing unverified is unpickled."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import moto
import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from serving.artifact_claims import class_path
from serving.errors import ModelLoadError
from serving.model_loading import load_model
from serving.model_source import open_source

from .conftest import PublishModel, manifest_for, serialize


def load(uri: str, **kwargs: Any) -> Any:
    return load_model(open_source(uri), **kwargs)


class Boom:
    """Unpickling this runs code: the loader must never get that far with bad bytes."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_explode, ())


def _explode() -> None:
    raise AssertionError("unverified bytes were unpickled")


def test_pickle_loads_and_predicts_like_the_original(
    tmp_path: Path,
    publish_model: PublishModel,
    iris: tuple[np.ndarray, np.ndarray],
    iris_classifier: LogisticRegression,
) -> None:
    publish_model(tmp_path)
    model = load(f"file://{tmp_path}")
    assert (model.name, model.version, model.n_features) == ("iris", "7", 4)
    assert model.feature_names[0] == "sepal_length"
    assert model.classes == (0, 1, 2)
    features, _ = iris
    np.testing.assert_array_equal(
        model.estimator.predict(features), iris_classifier.predict(features)
    )


def test_tampered_pickle_is_refused_before_unpickling(
    tmp_path: Path, publish_model: PublishModel
) -> None:
    good = serialize(LogisticRegression(), "pickle")
    evil = pickle.dumps(Boom())
    # Same size as the published bytes, so only the checksum can catch it.
    evil = evil + b"." * (len(good) - len(evil))
    publish_model(tmp_path, estimator=LogisticRegression(), payload=evil)
    with pytest.raises(ModelLoadError, match=r"sha256 mismatch for model\.pkl"):
        load(f"file://{tmp_path}")


def test_truncated_file_is_refused_by_size(tmp_path: Path, publish_model: PublishModel) -> None:
    manifest = publish_model(tmp_path)
    data = (tmp_path / "model.pkl").read_bytes()
    (tmp_path / "model.pkl").write_bytes(data[:-10])
    with pytest.raises(ModelLoadError, match=rf"{manifest.size_bytes - 10} bytes, the manifest"):
        load(f"file://{tmp_path}")


def test_corrupt_file_with_matching_checksum_is_a_load_error(tmp_path: Path) -> None:
    """A pipeline bug that publishes garbage with its true checksum: clear error, no traceback."""
    data = b"this is not a pickle"
    (tmp_path / "manifest.json").write_text(manifest_for(data, "pickle").to_json())
    (tmp_path / "model.pkl").write_bytes(data)
    with pytest.raises(ModelLoadError, match=r"cannot unpickle model\.pkl"):
        load(f"file://{tmp_path}")


def test_other_sklearn_version_is_refused_naming_both(
    tmp_path: Path, publish_model: PublishModel
) -> None:
    import sklearn

    publish_model(tmp_path, sklearn_version="1.2.0")
    with pytest.raises(ModelLoadError) as caught:
        load(f"file://{tmp_path}")
    message = str(caught.value)
    assert "scikit-learn 1.2.0" in message
    assert f"scikit-learn {sklearn.__version__}" in message


def test_missing_manifest_is_refused(tmp_path: Path, publish_model: PublishModel) -> None:
    publish_model(tmp_path)
    (tmp_path / "manifest.json").unlink()
    with pytest.raises(ModelLoadError, match=r"no such file .*manifest\.json"):
        load(f"file://{tmp_path}")


def test_invalid_manifest_names_the_field(tmp_path: Path, publish_model: PublishModel) -> None:
    publish_model(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["sha256"] = "xyz"
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match=r"invalid manifest\.json .*sha256"):
        load(f"file://{tmp_path}")


def test_artifact_name_cannot_leave_the_model_folder(
    tmp_path: Path, publish_model: PublishModel
) -> None:
    publish_model(tmp_path / "model", artifact="../secret.pkl")
    with pytest.raises(ModelLoadError, match="not a plain file name"):
        load(f"file://{tmp_path / 'model'}")


def test_feature_count_must_match_the_estimator(
    tmp_path: Path, publish_model: PublishModel
) -> None:
    publish_model(tmp_path, feature_names=["a", "b"])
    with pytest.raises(ModelLoadError, match="fitted on 4 features, the manifest lists 2"):
        load(f"file://{tmp_path}")


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        (None, "DRYDOCK_MODEL_URI is not set"),
        ("", "DRYDOCK_MODEL_URI is not set"),
        ("http://example/models/iris", "unsupported scheme 'http'"),
        ("file:///no/such/dir", "no such directory /no/such/dir"),
        ("s3://bucket-only", "expected s3://<bucket>/models/<name>/<version or latest>"),
    ],
)
def test_bad_uris_are_refused(uri: str | None, reason: str) -> None:
    with pytest.raises(ModelLoadError, match=reason):
        open_source(uri)


def test_skops_model_loads(
    tmp_path: Path,
    publish_model: PublishModel,
    iris: tuple[np.ndarray, np.ndarray],
    iris_classifier: LogisticRegression,
) -> None:
    publish_model(tmp_path, fmt="skops")
    model = load(f"file://{tmp_path}")
    features, _ = iris
    np.testing.assert_array_equal(
        model.estimator.predict(features), iris_classifier.predict(features)
    )


def test_skops_vetted_extra_type_is_trusted(
    tmp_path: Path, publish_model: PublishModel, iris: tuple[np.ndarray, np.ndarray]
) -> None:
    features, target = iris
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(features, target)
    publish_model(tmp_path, estimator=forest, fmt="skops", estimator_path=class_path(forest))
    model = load(f"file://{tmp_path}")
    np.testing.assert_array_equal(model.estimator.predict(features), forest.predict(features))


class Unvetted:
    """A type nobody vetted, inside an otherwise ordinary estimator."""

    def __init__(self) -> None:
        self.payload = 1


def test_skops_unknown_type_is_refused_by_name(
    tmp_path: Path, publish_model: PublishModel, iris_classifier: LogisticRegression
) -> None:
    import copy

    estimator = copy.deepcopy(iris_classifier)
    estimator.extra_ = Unvetted()
    publish_model(tmp_path, estimator=estimator, fmt="skops")
    with pytest.raises(ModelLoadError, match=r"not on the trusted list: .*Unvetted"):
        load(f"file://{tmp_path}")
    # An operator who vetted it can allow it explicitly.
    allowed = frozenset({f"{Unvetted.__module__}.Unvetted"})
    assert load(f"file://{tmp_path}", extra_trusted=allowed).estimator.extra_.payload == 1


def test_corrupt_skops_file_is_a_load_error(tmp_path: Path) -> None:
    data = b"PK\x03\x04 not really a zip"
    (tmp_path / "manifest.json").write_text(manifest_for(data, "skops").to_json())
    (tmp_path / "model.skops").write_bytes(data)
    with pytest.raises(ModelLoadError, match="not a valid skops file"):
        load(f"file://{tmp_path}")


# --- S3 (moto, in process) --------------------------------------------------------------

BUCKET = "drydock-models"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with moto.mock_aws():
        import boto3

        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield client


def put_model(client: Any, version: str, estimator: Any, fmt: str = "pickle") -> None:
    data = serialize(estimator, fmt)
    manifest = manifest_for(data, fmt, version=version)
    prefix = f"models/iris/{version}"
    client.put_object(Bucket=BUCKET, Key=f"{prefix}/manifest.json", Body=manifest.to_json())
    client.put_object(Bucket=BUCKET, Key=f"{prefix}/{manifest.artifact}", Body=data)


def point_latest(client: Any, version: str, name: str = "iris") -> None:
    body = json.dumps({"name": name, "version": version})
    client.put_object(Bucket=BUCKET, Key="models/iris/latest.json", Body=body)


def test_s3_latest_pointer_resolves_to_the_newest_version(
    s3: Any, iris_classifier: LogisticRegression
) -> None:
    put_model(s3, "1", iris_classifier)
    put_model(s3, "2", iris_classifier, fmt="skops")
    point_latest(s3, "1")
    point_latest(s3, "2")  # the versioned bucket keeps the older pointer too
    model = load(f"s3://{BUCKET}/models/iris/latest")
    assert model.version == "2"
    assert model.source_uri == f"s3://{BUCKET}/models/iris/latest"
    assert load(f"s3://{BUCKET}/models/iris/1").version == "1"


def test_s3_client_uses_path_style_addressing(s3: Any) -> None:
    from serving.model_source import _s3_client

    assert _s3_client().meta.config.s3["addressing_style"] == "path"


def test_s3_missing_key_is_named(s3: Any, iris_classifier: LogisticRegression) -> None:
    with pytest.raises(ModelLoadError, match=f"no such key s3://{BUCKET}/models/iris/latest.json"):
        load(f"s3://{BUCKET}/models/iris/latest")
    put_model(s3, "1", iris_classifier)
    s3.delete_object(Bucket=BUCKET, Key="models/iris/1/manifest.json")
    with pytest.raises(ModelLoadError, match=r"no such key .*/models/iris/1/manifest\.json"):
        load(f"s3://{BUCKET}/models/iris/1")


def test_s3_missing_bucket_is_named(s3: Any) -> None:
    with pytest.raises(ModelLoadError, match="no such bucket nope"):
        load("s3://nope/models/iris/latest")


def test_s3_latest_pointer_for_another_model_is_refused(
    s3: Any, iris_classifier: LogisticRegression
) -> None:
    put_model(s3, "1", iris_classifier)
    point_latest(s3, "1", name="other")
    with pytest.raises(ModelLoadError, match="latest pointer names 'other'"):
        load(f"s3://{BUCKET}/models/iris/latest")


def test_s3_manifest_version_must_match_the_uri(
    s3: Any, iris_classifier: LogisticRegression
) -> None:
    put_model(s3, "1", iris_classifier)
    s3.copy_object(
        Bucket=BUCKET,
        Key="models/iris/3/manifest.json",
        CopySource={"Bucket": BUCKET, "Key": "models/iris/1/manifest.json"},
    )
    with pytest.raises(ModelLoadError, match=r"manifest names version '1'.* resolves to '3'"):
        load(f"s3://{BUCKET}/models/iris/3")
