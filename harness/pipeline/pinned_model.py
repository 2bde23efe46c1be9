"""Would a service's tasks load the model its task definition pins? The tasks' own check.

``drydock release`` asks it before registering a revision; the demo asks it of a service
it finds, because a service can outlive its model: the emulator's journal keeps a
service pinned to version 2 while LocalStack, which keeps nothing across a restart, has
lost version 2. Every task of such a service would fail to start. The keys are the ones
the tasks verify with (their definition's ``DRYDOCK_TRUSTED_PUBLIC_KEYS``), the
pipeline's own only when the definition names none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.model.keys import trusted_public_keys
from harness.model.published import ModelNotPublishedError, ModelNotTrustedError, check_published
from harness.pipeline.model_pin import ModelPin, model_pin, trusted_keys
from harness.settings import DrydockSettings
from serving.manifest import ModelManifest
from serving.signature import SignatureVerifier, split_public_keys


def tasks_verifier(
    container: dict[str, Any], fallback_keys: Callable[[], str]
) -> SignatureVerifier:
    """The verifier a task of ``container`` would build."""
    return SignatureVerifier(tuple(split_public_keys(trusted_keys(container) or fallback_keys())))


def check_pinned(
    s3: Any, container: dict[str, Any], pin: ModelPin, fallback_keys: Callable[[], str]
) -> ModelManifest:
    """The manifest of ``pin`` once it passes the tasks' checks; raises
    :class:`ModelNotPublishedError` or :class:`ModelNotTrustedError` naming the version."""
    return check_published(s3, pin.uri, pin.version, tasks_verifier(container, fallback_keys))


def pipeline_keys(settings: DrydockSettings) -> Callable[[], str]:
    """The pipeline's own public keys (asked only when a definition names none)."""
    return lambda: trusted_public_keys(settings.signing_key_path, settings.model_also_trusted_keys)


def why_refused(s3: Any, container: dict[str, Any], fallback_keys: Callable[[], str]) -> str | None:
    """Why the tasks of ``container`` would refuse the model it pins; None when they
    would load it."""
    try:
        check_pinned(s3, container, model_pin(container), fallback_keys)
    except (ModelNotPublishedError, ModelNotTrustedError) as exc:
        return str(exc)
    return None
