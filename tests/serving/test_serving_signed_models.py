"""Signed models: the server verifies before it deserialises, and says which check failed.

The models are signed by the model pipeline's own signer (``harness.model.signing``)
with real EC keys, so these tests exercise the exact files a task meets in S3.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from harness.model.artifact import ModelArtifact, package, write_artifact
from harness.model.keys import create_signing_key, public_pem
from harness.model.signing import ModelSigner
from harness.model.training import train
from serving.errors import ModelLoadError
from serving.manifest import sha256_of
from serving.model_loading import load_model
from serving.model_source import open_source
from serving.settings import ServingSettings
from serving.signature import SignatureRefused, SignatureVerifier, key_id

from .test_serving_process import clean_env


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    return {name: create_signing_key(folder / f"{name}.pem") for name in ("ours", "next", "other")}


@pytest.fixture(scope="module")
def artifact() -> ModelArtifact:
    return package(train("iris"), "iris", "3")


def signed_folder(folder: Path, artifact: ModelArtifact, key: Path) -> Path:
    return write_artifact(ModelSigner(key).sign(artifact), folder)


def verifier(*keys: Path) -> SignatureVerifier:
    return SignatureVerifier(tuple(public_pem(key) for key in keys))


def load(folder: Path, trusted: SignatureVerifier) -> Any:
    return load_model(open_source(f"file://{folder}"), verifier=trusted)


def test_a_model_signed_by_the_pipeline_loads(
    tmp_path: Path, keys: dict[str, Path], artifact: ModelArtifact
) -> None:
    folder = signed_folder(tmp_path, artifact, keys["ours"])
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "model.pkl", "model.sig"]
    assert load(folder, verifier(keys["ours"])).version == "3"


@pytest.mark.parametrize("signer", ["ours", "next"])
def test_during_a_rotation_either_trusted_key_verifies(
    tmp_path: Path, keys: dict[str, Path], artifact: ModelArtifact, signer: str
) -> None:
    folder = signed_folder(tmp_path, artifact, keys[signer])
    assert load(folder, verifier(keys["ours"], keys["next"])).version == "3"


def test_an_unsigned_model_is_refused_before_unpickling(
    tmp_path: Path, keys: dict[str, Path]
) -> None:
    from .test_serving_model_loading import Boom

    evil = pickle.dumps(Boom())
    package_ = package(train("iris"), "iris", "3")
    manifest = package_.manifest.model_copy(
        update={"sha256": sha256_of(evil), "size_bytes": len(evil)}
    )
    folder = write_artifact(ModelArtifact(manifest, evil), tmp_path)
    with pytest.raises(SignatureRefused, match=r"model is unsigned: no model\.sig"):
        load(folder, verifier(keys["ours"]))


def test_a_model_signed_with_another_key_is_refused_naming_both_keys(
    tmp_path: Path, keys: dict[str, Path], artifact: ModelArtifact
) -> None:
    folder = signed_folder(tmp_path, artifact, keys["other"])
    with pytest.raises(SignatureRefused, match="signed with another key") as refused:
        load(folder, verifier(keys["ours"]))
    message = str(refused.value)
    assert key_id(public_pem(keys["other"]))[:16] in message
    assert key_id(public_pem(keys["ours"]))[:16] in message


def test_a_signature_over_other_bytes_is_refused(
    tmp_path: Path, keys: dict[str, Path], artifact: ModelArtifact
) -> None:
    """A bucket writer replaces the model and fixes the manifest's checksum to match: the
    checksum agrees, the signature (over the old files) does not."""
    folder = signed_folder(tmp_path, artifact, keys["ours"])
    other = pickle.dumps(train("iris", regularization=0.05).estimator)
    (folder / "model.pkl").write_bytes(other)
    manifest = artifact.manifest.model_copy(
        update={"sha256": sha256_of(other), "size_bytes": len(other)}
    )
    (folder / "manifest.json").write_text(manifest.to_json())
    with pytest.raises(SignatureRefused, match="signature does not cover these bytes") as refused:
        load(folder, verifier(keys["ours"]))
    assert "manifest.json, model.pkl" in str(refused.value)


def test_a_manifest_edited_after_signing_is_refused(
    tmp_path: Path, keys: dict[str, Path], artifact: ModelArtifact
) -> None:
    folder = signed_folder(tmp_path, artifact, keys["ours"])
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["metrics"]["accuracy"] = 1.0
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    with pytest.raises(SignatureRefused, match=r"manifest\.json was changed after signing"):
        load(folder, verifier(keys["ours"]))


def test_a_garbled_signature_is_refused(
    tmp_path: Path, keys: dict[str, Path], artifact: ModelArtifact
) -> None:
    folder = signed_folder(tmp_path, artifact, keys["ours"])
    bundle = json.loads((folder / "model.sig").read_text())
    envelope = bundle["dsseEnvelope"]
    envelope["signatures"][0]["sig"] = envelope["signatures"][0]["sig"][::-1]
    (folder / "model.sig").write_text(json.dumps(bundle))
    with pytest.raises(SignatureRefused, match="does not verify with any trusted key"):
        load(folder, verifier(keys["ours"]))


def test_verification_on_without_keys_is_refused_and_off_loads_unsigned(
    tmp_path: Path, artifact: ModelArtifact
) -> None:
    folder = write_artifact(artifact, tmp_path)
    with pytest.raises(ModelLoadError, match="no trusted public key is configured"):
        SignatureVerifier(())
    assert load_model(open_source(f"file://{folder}"), verifier=None).version == "3"


def test_settings_take_two_concatenated_keys_and_name_a_bad_one(keys: dict[str, Path]) -> None:
    two = public_pem(keys["ours"]) + public_pem(keys["next"])
    settings = ServingSettings(trusted_public_keys=two)
    assert [key_id(pem) for pem in settings.public_keys] == [
        key_id(public_pem(keys["ours"])),
        key_id(public_pem(keys["next"])),
    ]
    broken = two.replace(two.splitlines()[2], "A" * 20)
    with pytest.raises(ValidationError, match="public key 1 is not a valid PEM key"):
        ServingSettings(trusted_public_keys=broken)


def test_the_server_process_exits_3_naming_an_edited_manifest(
    tmp_path: Path, keys: dict[str, Path], artifact: ModelArtifact
) -> None:
    folder = signed_folder(tmp_path, artifact, keys["ours"])
    env = clean_env(
        DRYDOCK_MODEL_URI=f"file://{folder}",
        DRYDOCK_VERIFY_SIGNATURES="true",
        DRYDOCK_TRUSTED_PUBLIC_KEYS=public_pem(keys["ours"]),
    )
    check = [sys.executable, "-m", "serving.wsgi"]
    good = subprocess.run(check, env=env, capture_output=True, text=True, timeout=60)
    assert good.returncode == 0, good.stderr
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["target_names"] = ["a", "b", "c"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    bad = subprocess.run(check, env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 3
    assert bad.stderr.strip().splitlines() == [
        f"drydock-serving: cannot load model file://{folder}: manifest.json was changed "
        "after signing (not the signed bytes)"
    ]


def test_only_ec_public_keys_are_accepted() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    rsa_pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with pytest.raises(ValidationError, match="public key 1 is not an EC key"):
        ServingSettings(trusted_public_keys=rsa_pem)
    with pytest.raises(ValidationError, match="no -----BEGIN PUBLIC KEY----- block"):
        ServingSettings(trusted_public_keys="ssh-ed25519 AAAA")
