"""The tasks' own check of the model a container pins, on moto S3: the demo asks it of
a service it finds, ``drydock release`` of the version it is about to pin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.model.keys import create_signing_key, public_pem
from harness.model.signing import ModelSigner
from harness.model.store import ModelStore
from harness.pipeline.model_pipeline import release_model
from harness.pipeline.pinned_model import pipeline_keys, why_refused
from harness.pipeline.service_pipeline import serving_environment
from harness.settings import DrydockSettings

BUCKET = "models-pinned"


@pytest.fixture
def key(tmp_path: Path) -> Path:
    return create_signing_key(tmp_path / "keys" / "signing.pem")


@pytest.fixture
def settings(key: Path, tmp_path: Path) -> DrydockSettings:
    return DrydockSettings(model_signing_key=key, state_dir=tmp_path / "state")


@pytest.fixture
def store(s3: Any, key: Path) -> ModelStore:
    signed = ModelStore(s3, BUCKET, signer=ModelSigner(key))
    signed.create_bucket()
    release_model(signed, "iris")
    return signed


def container(settings: DrydockSettings, uri: str, **extra: str) -> dict[str, Any]:
    environment = {**serving_environment(settings, uri), **extra}
    return {
        "name": "model-server",
        "environment": [{"name": k, "value": v} for k, v in environment.items()],
    }


def never() -> str:
    raise AssertionError("the definition carries its keys: the pipeline's are not asked")


def test_a_published_signed_version_passes(
    s3: Any, store: ModelStore, settings: DrydockSettings
) -> None:
    assert why_refused(s3, container(settings, store.uri("iris", "1")), never) is None


def test_a_version_s3_lost_is_named_with_its_uri(
    s3: Any, store: ModelStore, settings: DrydockSettings
) -> None:
    uri = store.uri("iris", "2")
    why = why_refused(s3, container(settings, uri), never)
    assert why is not None
    assert why.startswith("model version 2 is not published:") and why.endswith(f"({uri})")


def test_a_version_signed_by_a_key_the_tasks_do_not_trust_is_refused(
    s3: Any, store: ModelStore, settings: DrydockSettings, tmp_path: Path
) -> None:
    other = public_pem(create_signing_key(tmp_path / "other.pem"))
    pinned = container(settings, store.uri("iris", "1"), DRYDOCK_TRUSTED_PUBLIC_KEYS=other)
    why = why_refused(s3, pinned, never)
    assert why is not None and "would be refused by the tasks" in why


def test_without_keys_in_the_definition_the_pipelines_keys_are_used(
    s3: Any, store: ModelStore, settings: DrydockSettings
) -> None:
    bare = container(settings, store.uri("iris", "1"))
    bare["environment"] = [
        e for e in bare["environment"] if e["name"] != "DRYDOCK_TRUSTED_PUBLIC_KEYS"
    ]
    assert why_refused(s3, bare, pipeline_keys(settings)) is None
