from __future__ import annotations

import json
from typing import Any

import pytest

from harness.errors import BucketMissingError, ModelVersionExistsError
from harness.model.artifact import package
from harness.model.store import ModelStore
from harness.model.training import TrainedModel, train
from harness.pipeline.model_pipeline import next_version, release_model


@pytest.fixture(scope="module")
def trained() -> TrainedModel:
    return train("iris")


def test_publish_writes_model_manifest_and_latest_pointer(
    store: ModelStore, s3: Any, trained: TrainedModel
) -> None:
    artifact = package(trained, "iris", "7")
    uri = store.publish(artifact)

    assert uri == "s3://models-test/models/iris/7"
    body = s3.get_object(Bucket="models-test", Key="models/iris/7/model.pkl")["Body"].read()
    assert body == artifact.model_bytes
    assert store.manifest("iris", "7") == artifact.manifest
    pointer = s3.get_object(Bucket="models-test", Key="models/iris/latest.json")["Body"].read()
    assert json.loads(pointer) == {"name": "iris", "version": "7"}


def test_bucket_has_versioning_enabled(store: ModelStore, s3: Any) -> None:
    assert s3.get_bucket_versioning(Bucket="models-test")["Status"] == "Enabled"


def test_publishing_an_existing_version_is_refused_and_nothing_changes(
    store: ModelStore, s3: Any, trained: TrainedModel
) -> None:
    first = package(trained, "iris", "1")
    store.publish(first)
    other = package(train("iris", regularization=0.01), "iris", "1")
    assert other.manifest.sha256 != first.manifest.sha256

    with pytest.raises(ModelVersionExistsError, match="iris version 1 is already published"):
        store.publish(other)

    stored = s3.get_object(Bucket="models-test", Key="models/iris/1/model.pkl")["Body"].read()
    assert stored == first.model_bytes
    versions = s3.list_object_versions(Bucket="models-test", Prefix="models/iris/1/model.pkl")
    assert len(versions["Versions"]) == 1


def test_missing_bucket_is_named(s3: Any, trained: TrainedModel) -> None:
    with pytest.raises(BucketMissingError, match="S3 bucket nowhere does not exist"):
        ModelStore(s3, "nowhere").publish(package(trained, "iris", "1"))


def test_release_numbers_versions_and_reuses_identical_bytes(store: ModelStore) -> None:
    first = release_model(store, "iris")
    again = release_model(store, "iris")
    changed = release_model(store, "iris", regularization=0.05)

    assert (first.manifest.version, first.reused) == ("1", False)
    assert (again.manifest.version, again.reused) == ("1", True)
    assert (changed.manifest.version, changed.reused) == ("2", False)
    assert store.latest_version("iris") == "2"
    assert store.versions("iris") == ["1", "2"]


def test_explicit_existing_version_is_refused_even_with_identical_bytes(store: ModelStore) -> None:
    release_model(store, "iris", version="3")
    with pytest.raises(ModelVersionExistsError):
        release_model(store, "iris", version="3")


@pytest.mark.parametrize(
    ("existing", "expected"), [([], "1"), (["1", "2"], "3"), (["9", "10", "x"], "11")]
)
def test_next_version(existing: list[str], expected: str) -> None:
    assert next_version(existing) == expected


def test_an_unreachable_s3_is_one_clear_error_for_every_operation() -> None:
    import boto3
    from botocore.config import Config

    from harness.errors import DrydockError

    dead = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:1",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    store = ModelStore(dead, "models-test")
    for operation in (
        lambda: store.latest_version("iris"),
        lambda: store.versions("iris"),
        lambda: store.manifest("iris", "1"),
        store.create_bucket,
    ):
        with pytest.raises(DrydockError, match="S3 is not reachable for bucket models-test"):
            operation()


def test_purge_removes_every_version_of_one_model_only(
    store: ModelStore, s3: Any, trained: TrainedModel
) -> None:
    for version in ("1", "2"):
        store.publish(package(trained, "scratch", version))
    store.publish(package(trained, "kept", "1"))
    # latest.json was written twice: two object versions of one key

    removed = store.purge("scratch")

    assert removed == 2 * 2 + 2  # model + manifest per version, two pointer versions
    left = s3.list_object_versions(Bucket="models-test", Prefix="models/scratch/")
    assert left.get("Versions", []) == [] and left.get("DeleteMarkers", []) == []
    assert store.versions("scratch") == []
    assert store.versions("kept") == ["1"]
    assert store.purge("scratch") == 0
