"""Is this model folder exactly what the model pipeline signed? Decided before any unpickling.

A sha256 in the manifest proves only that the manifest and the model file were written
together, by whoever can write to the bucket. A signature made with the pipeline's
private key proves they were written by the pipeline: the task holds only public keys,
so a bucket writer without the private key cannot get bytes of its choosing deserialised.

OpenSSF ``model-signing`` (key-based, offline: no Sigstore network call) hashes every file
of a folder and signs that list; verification re-hashes the folder and compares. The
server verifies the very bytes it will deserialise: they are written to a private
scratch folder, verified there, and only then handed on (from memory, never re-read).

Each refusal names which of the four things went wrong, because an operator fixes
them differently: the model is unsigned (publish it through the pipeline), signed with
a key the task does not trust (a rotation step missed), or its files differ from the
signed ones (the model bytes, or the manifest edited after signing).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import sys
import tempfile
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serving.errors import ModelLoadError
from serving.manifest import MANIFEST_FILENAME

#: Next to ``manifest.json`` in the version's folder; not itself part of what is signed.
SIGNATURE_FILENAME = "model.sig"
#: How ``model-signing`` hashes the folder: one sha256 per file, symlinks refused. The
#: verifier fixes this instead of trusting the signature's own description of it.
HASH_ALGORITHM = "sha256"
PEM_END = "-----END PUBLIC KEY-----"


class SignatureRefused(ModelLoadError):
    """The model folder is not what a trusted key signed; the message says which way."""


def key_id(public_pem: str) -> str:
    """The id ``model-signing`` records for a key: sha256 of its SubjectPublicKeyInfo PEM."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_public_key(public_pem.encode())
    canonical = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(canonical).hexdigest()


def split_public_keys(text: str) -> list[str]:
    """One PEM per key from text holding several (a rotation trusts two), validated.

    Raises ValueError naming the problem: not PEM, not an EC key, or a curve
    ``model-signing`` does not support.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    blocks = [block.strip() + "\n" + PEM_END + "\n" for block in text.split(PEM_END)]
    blocks = [block for block in blocks if "-----BEGIN PUBLIC KEY-----" in block]
    if text.strip() and not blocks:
        raise ValueError("no -----BEGIN PUBLIC KEY----- block")
    keys = []
    for number, block in enumerate(blocks, start=1):
        try:
            key = serialization.load_pem_public_key(block.encode())
        except ValueError as exc:
            raise ValueError(f"public key {number} is not a valid PEM key: {exc}") from None
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise ValueError(f"public key {number} is not an EC key ({type(key).__name__})")
        if key.curve.name not in ("secp256r1", "secp384r1", "secp521r1"):
            raise ValueError(f"public key {number} uses unsupported curve {key.curve.name}")
        keys.append(block[block.index("-----BEGIN") :])
    return keys


@dataclass(frozen=True)
class SignatureVerifier:
    """The public keys a task trusts; any one of them may have signed the model."""

    trusted_keys: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.trusted_keys:
            raise ModelLoadError(
                "signature verification is on but no trusted public key is configured "
                "(set DRYDOCK_TRUSTED_PUBLIC_KEYS, or DRYDOCK_VERIFY_SIGNATURES=false)"
            )

    @property
    def key_ids(self) -> list[str]:
        return [key_id(pem) for pem in self.trusted_keys]

    def verify(self, files: Mapping[str, bytes], signature: bytes | None) -> None:
        """Refuse unless ``signature`` is by a trusted key and covers exactly ``files``.

        ``files`` maps plain file names (already checked not to leave the folder) to
        the bytes that will be used; nothing else is in the folder that gets hashed.
        """
        if signature is None:
            raise SignatureRefused(
                f"model is unsigned: no {SIGNATURE_FILENAME} next to {MANIFEST_FILENAME} "
                "(publish it through the model pipeline, which signs)"
            )
        signer_id = _signing_key_id(signature)
        trusted = self.key_ids
        if signer_id is not None and signer_id not in trusted:
            raise SignatureRefused(
                f"model is signed with another key: key {signer_id[:16]}, trusted keys "
                f"{', '.join(k[:16] for k in trusted)}"
            )
        with tempfile.TemporaryDirectory(prefix="drydock-verify-") as scratch:
            root = Path(scratch)
            folder = root / "model"
            folder.mkdir()
            for name, data in files.items():
                (folder / name).write_bytes(data)
            (root / SIGNATURE_FILENAME).write_bytes(signature)
            failures = []
            for number, pem in enumerate(self.trusted_keys):
                if signer_id is not None and trusted[number] != signer_id:
                    continue
                key_path = root / f"trusted-{number}.pem"
                key_path.write_text(pem)
                outcome = _verify_with(folder, root / SIGNATURE_FILENAME, key_path)
                if outcome is None:
                    return
                if outcome == _MISMATCH:
                    raise SignatureRefused(_mismatch(signature, files).describe())
                failures.append(outcome)
        raise SignatureRefused(
            f"signature does not verify with any trusted key "
            f"({', '.join(k[:16] for k in trusted)}): {failures[0] if failures else 'no key'}"
        )


@dataclass(frozen=True)
class _ContentMismatch:
    """A valid signature by a trusted key, over other bytes than these."""

    changed: tuple[str, ...]
    missing: tuple[str, ...]
    extra: tuple[str, ...]

    def describe(self) -> str:
        if self.changed == (MANIFEST_FILENAME,) and not (self.missing or self.extra):
            return f"{MANIFEST_FILENAME} was changed after signing (not the signed bytes)"
        parts = []
        if self.changed:
            parts.append(f"changed since signing: {', '.join(self.changed)}")
        if self.missing:
            parts.append(f"signed but absent: {', '.join(self.missing)}")
        if self.extra:
            parts.append(f"not signed: {', '.join(self.extra)}")
        return "signature does not cover these bytes (" + "; ".join(parts) + ")"


#: ``_verify_with``'s word for "this key signed it, over other contents".
_MISMATCH = "contents differ"


def _verify_with(folder: Path, signature: Path, public_key: Path) -> str | None:
    """None when it verifies; ``_MISMATCH``; or why the key did not verify it.

    The same steps as ``model_signing.verifying.Config.verify`` with an EC key: the
    bundle's signature checked with the key (which yields the signed list of file
    digests), the folder hashed as the signer hashed it, the two lists compared.
    """
    from cryptography.exceptions import InvalidSignature

    hashing, ec_key, bundles = _model_signing()
    try:
        expected = ec_key.Verifier(public_key).verify(bundles.Signature.read(signature))
    except InvalidSignature:
        return "the signature bytes are not this key's"
    except Exception as exc:  # a malformed bundle fails deep inside json/protobuf parsing
        return f"unreadable or invalid signature: {type(exc).__name__}: {exc}"
    actual = (
        hashing.Config()
        .use_file_serialization(hashing_algorithm=HASH_ALGORITHM, allow_symlinks=False)
        .hash(folder)
    )
    return None if actual == expected else _MISMATCH


def _model_signing() -> tuple[Any, Any, Any]:
    """``model-signing``'s hashing, EC-key verifier and bundle format, without its
    package ``__init__``.

    That ``__init__`` imports the whole library, Sigstore's keyless client, TUF and
    their dependencies included, none of which key-based verification uses: 0.10-0.16 s
    of a task's start against 0.03 s for these three modules (measured here), which on
    a 50 MB model was the difference between meeting and missing the 10 % budget for
    verification. So the package is registered as a bare namespace for its own
    folder before its submodules are imported. If something imported it properly
    first, that is used as is.
    """
    if "model_signing" not in sys.modules:
        spec = importlib.util.find_spec("model_signing")
        if spec is None or spec.submodule_search_locations is None:
            raise ModelLoadError("model-signing is not installed; it verifies model signatures")
        package = types.ModuleType("model_signing")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["model_signing"] = package
    from model_signing import hashing
    from model_signing._signing import sign_ec_key, sign_sigstore_pb

    return hashing, sign_ec_key, sign_sigstore_pb


def _mismatch(signature: bytes, files: Mapping[str, bytes]) -> _ContentMismatch:
    """Which files differ from the signed ones. Called only once ``model-signing`` has
    verified the signature (so its payload is the signer's word) and found the contents
    differ: its own diff is prose, the signed statement is data."""
    envelope = json.loads(signature)["dsseEnvelope"]
    statement = json.loads(base64.b64decode(envelope["payload"]))
    signed = {r["name"]: r["digest"] for r in statement["predicate"]["resources"]}
    actual = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    return _ContentMismatch(
        changed=tuple(sorted(n for n in signed.keys() & actual.keys() if signed[n] != actual[n])),
        missing=tuple(sorted(signed.keys() - actual.keys())),
        extra=tuple(sorted(actual.keys() - signed.keys())),
    )


def _signing_key_id(signature: bytes) -> str | None:
    """The key id the bundle names (``model-signing`` writes it as a hint), if readable."""
    try:
        bundle = json.loads(signature)
        hint = bundle["verificationMaterial"]["publicKey"]["hint"]
    except (ValueError, KeyError, TypeError):
        return None
    return hint if isinstance(hint, str) and hint else None


def verifier_for(verify: bool, public_keys: Sequence[str]) -> SignatureVerifier | None:
    """The verifier the settings ask for; None when verification is off."""
    return SignatureVerifier(tuple(public_keys)) if verify else None
