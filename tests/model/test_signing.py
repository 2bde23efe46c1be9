"""The pipeline's key pair and signing: the private key stays home, tasks get public keys."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from harness.errors import ModelArtifactError
from harness.model.keys import (
    create_signing_key,
    ensure_signing_key,
    public_key_path,
    public_pem,
    task_trust_environment,
)
from harness.model.signing import ModelSigner
from harness.model.store import ModelStore
from harness.pipeline.model_pipeline import release_model
from harness.pipeline.service_pipeline import serving_environment
from harness.settings import DrydockSettings
from serving.model_loading import load_model
from serving.model_source import S3Source
from serving.signature import SignatureVerifier, split_public_keys


def test_the_key_is_created_on_first_use_private_and_never_overwritten(tmp_path: Path) -> None:
    key = tmp_path / "keys" / "model-signing.pem"
    assert ensure_signing_key(key) == key
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert public_key_path(key).read_text() == public_pem(key)
    before = key.read_bytes()
    assert ensure_signing_key(key) == key and key.read_bytes() == before
    with pytest.raises(ModelArtifactError, match="exists already; not overwritten"):
        create_signing_key(key)


def test_tasks_get_the_public_keys_and_nothing_private(tmp_path: Path) -> None:
    old = create_signing_key(tmp_path / "old.pem")
    settings = DrydockSettings(
        state_dir=tmp_path / "state", model_also_trusted_keys=[public_key_path(old)]
    )
    environment = serving_environment(settings, "s3://b/models/iris/1")
    assert environment["DRYDOCK_VERIFY_SIGNATURES"] == "true"
    keys = split_public_keys(environment["DRYDOCK_TRUSTED_PUBLIC_KEYS"])
    assert keys == [public_pem(settings.signing_key_path), public_pem(old)]
    assert not any("PRIVATE" in value for value in environment.values())
    off = DrydockSettings(state_dir=tmp_path / "state", verify_signatures=False)
    assert task_trust_environment(off)["DRYDOCK_VERIFY_SIGNATURES"] == "false"


def test_a_bad_also_trusted_key_is_named(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pub"
    junk.write_text("not a key")
    settings = DrydockSettings(state_dir=tmp_path, model_also_trusted_keys=[junk])
    with pytest.raises(ModelArtifactError, match=r"cannot use trusted public key .*junk\.pub"):
        task_trust_environment(settings)


def test_a_signing_store_publishes_a_signature_the_server_verifies(s3: Any, tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    store = ModelStore(s3, "models-test", signer=ModelSigner(key))
    store.create_bucket()
    release = release_model(store, "iris")
    prefix = f"models/iris/{release.manifest.version}"
    listed = s3.list_objects_v2(Bucket="models-test", Prefix=prefix)["Contents"]
    assert sorted(item["Key"].rsplit("/", 1)[1] for item in listed) == [
        "manifest.json",
        "model.pkl",
        "model.sig",
    ]
    source = S3Source(f"s3://models-test/{prefix}", client=s3)
    model = load_model(source, verifier=SignatureVerifier((public_pem(key),)))
    assert model.version == release.manifest.version


def test_latest_is_reused_only_when_signed_with_our_key(s3: Any, tmp_path: Path) -> None:
    """Identical bytes published before signing (or under a retired key) are published
    again, signed, instead of being reused: tasks would refuse them."""
    ModelStore(s3, "models-test").create_bucket()
    unsigned = release_model(ModelStore(s3, "models-test"), "iris")
    ours = ModelStore(s3, "models-test", signer=ModelSigner(tmp_path / "ours.pem"))
    signed = release_model(ours, "iris")
    assert (signed.reused, signed.manifest.version) == (False, "2")
    assert signed.manifest.sha256 == unsigned.manifest.sha256
    again = release_model(ours, "iris")
    assert (again.reused, again.manifest.version) == (True, "2")
    rotated = ModelStore(s3, "models-test", signer=ModelSigner(tmp_path / "next.pem"))
    assert release_model(rotated, "iris").manifest.version == "3"
