"""The model pipeline's signing key pair: created on first use, public halves for tasks.

The private key lives with the pipeline only (``DRYDOCK_MODEL_SIGNING_KEY``, by default
``.drydock/keys/model-signing.pem``, created on first use, mode 0600): never in an
image, a task definition or the bucket. Tasks get public keys (not secret) through
``DRYDOCK_TRUSTED_PUBLIC_KEYS``; during a rotation they trust two (README: "Signed
models"). Imported lazily by the service pipeline: the emulator image has no
``cryptography``-using serving code.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.errors import ModelArtifactError
from harness.settings import DrydockSettings
from serving.signature import split_public_keys


def create_signing_key(path: Path) -> Path:
    """A new P-256 private key at ``path`` (0600, folder 0700), its public key at ``.pub``.

    Refuses to overwrite: losing the key a running model was signed with is a
    rotation, done on purpose (README), not a side effect.
    """
    if path.exists():
        raise ModelArtifactError(f"signing key {path} exists already; not overwritten")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    public_key_path(path).write_text(public_pem(path))
    return path


def ensure_signing_key(path: Path) -> Path:
    """The pipeline's key, created on first use."""
    return path if path.exists() else create_signing_key(path)


def public_key_path(private_key: Path) -> Path:
    return private_key.with_suffix(".pub")


def public_pem(private_key: Path) -> str:
    """The public half of a private key file, PEM (what tasks are given)."""
    try:
        key = serialization.load_pem_private_key(private_key.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ModelArtifactError(f"cannot read signing key {private_key}: {exc}") from exc
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def trusted_public_keys(private_key: Path, also_trusted: list[Path]) -> str:
    """The PEMs a task trusts: the signing key's own, then any kept during a rotation."""
    pems = [public_pem(ensure_signing_key(private_key))]
    for path in also_trusted:
        try:
            text = path.read_text()
            pems += split_public_keys(text)
        except (OSError, ValueError) as exc:
            raise ModelArtifactError(f"cannot use trusted public key {path}: {exc}") from exc
    unique = list(dict.fromkeys(pem.strip() + "\n" for pem in pems))
    return "".join(unique)


def task_trust_environment(settings: DrydockSettings) -> dict[str, str]:
    """What a serving task needs to verify models: public keys only, never the private one."""
    return {
        "DRYDOCK_VERIFY_SIGNATURES": "true" if settings.verify_signatures else "false",
        "DRYDOCK_TRUSTED_PUBLIC_KEYS": trusted_public_keys(
            settings.signing_key_path, settings.model_also_trusted_keys
        ),
    }
