"""Signing what the model pipeline publishes, with the pipeline's private key.

OpenSSF ``model-signing`` with an EC key, offline (no Sigstore network call): it hashes
the version's folder (``manifest.json`` and the model file, exactly the bytes that are
uploaded) and signs that list; the server verifies the same way
(``serving.signature``) before deserialising anything. Keys: ``harness.model.keys``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from harness.model.artifact import ModelArtifact, write_artifact
from harness.model.keys import ensure_signing_key, public_pem
from harness.settings import DrydockSettings
from serving.signature import (
    HASH_ALGORITHM,
    SIGNATURE_FILENAME,
    SignatureRefused,
    SignatureVerifier,
)


@dataclass(frozen=True)
class ModelSigner:
    """Signs an artifact's manifest and model file with the pipeline's private key."""

    private_key: Path

    def sign(self, artifact: ModelArtifact) -> ModelArtifact:
        """The artifact with ``signature``: a sigstore bundle over exactly its two files."""
        from model_signing import hashing, signing

        key = ensure_signing_key(self.private_key)
        with tempfile.TemporaryDirectory(prefix="drydock-sign-") as scratch:
            folder = write_artifact(replace(artifact, signature=None), Path(scratch) / "model")
            signature = Path(scratch) / SIGNATURE_FILENAME
            (
                signing.Config()
                .use_elliptic_key_signer(private_key=key)
                .set_hashing_config(
                    hashing.Config().use_file_serialization(
                        hashing_algorithm=HASH_ALGORITHM, allow_symlinks=False
                    )
                )
                .sign(folder, signature)
            )
            return replace(artifact, signature=signature.read_bytes())

    def verifies(self, files: Mapping[str, bytes], signature: bytes) -> bool:
        """Whether ``signature`` is this key's over exactly ``files`` (as a task would check)."""
        try:
            SignatureVerifier((public_pem(ensure_signing_key(self.private_key)),)).verify(
                files, signature
            )
        except SignatureRefused:
            return False
        return True


def signer_for(settings: DrydockSettings) -> ModelSigner:
    return ModelSigner(settings.signing_key_path)
