"""A ``docker push``'s last step, the manifest PUT, admitted by ECR's rules first.

distribution stores whatever manifest it is sent under whatever tag; ECR refuses to
move a tag of an immutable repository. The registry gate (HAProxy in front of the
registry, see ``docker/registry-gate``) routes every manifest PUT here; blobs go
straight to the registry, streamed, never through the emulator. Each push is checked
and relayed under one lock, so two pushes racing for the same immutable tag cannot
both find it free.
"""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING

from harness.ecs.control_plane.ecr.errors import RepositoryNotFoundException, ServerException
from harness.ecs.control_plane.ecr.registry_port import RegistryReply, RegistryUnavailable
from harness.ecs.control_plane.ecr.tag_mutability import TagRule, check_tag_push

if TYPE_CHECKING:
    from harness.ecs.control_plane.plane import ControlPlane

DIGEST_PREFIX = "sha256:"

_push_lock = threading.Lock()


def is_digest(reference: str) -> bool:
    """A push by digest names no tag, so it can overwrite nothing."""
    return reference.startswith(DIGEST_PREFIX)


def tag_rule(control_plane: ControlPlane, repository: str) -> TagRule:
    """The repository's mutability, read under the plane's lock (MUTABLE when unknown)."""
    with control_plane.locked() as cp:
        try:
            found = cp.ecr.repositories.require(repository)
        except RepositoryNotFoundException:
            return TagRule(repository)
        filters = tuple(f["filter"] for f in found.exclusion_filters or [])
        return TagRule(repository, found.image_tag_mutability, filters)


def push_manifest(
    control_plane: ControlPlane, repository: str, reference: str, media_type: str, body: bytes
) -> RegistryReply:
    """Relay the manifest PUT unless it would overwrite an immutable tag.

    Raises :class:`ImageTagAlreadyExistsException` (nothing reaches the registry) or
    :class:`ServerException` when the registry cannot say what the tag names now.
    """
    registry = control_plane.ecr.registry
    pushed_digest = DIGEST_PREFIX + hashlib.sha256(body).hexdigest()
    try:
        with _push_lock:
            if not is_digest(reference):
                rule = tag_rule(control_plane, repository)
                if rule.is_immutable(reference):
                    current = registry.manifest(repository, reference)
                    check_tag_push(
                        rule, reference, current.digest if current else None, pushed_digest
                    )
            return registry.relay_manifest_put(repository, reference, media_type, body)
    except RegistryUnavailable as exc:
        raise ServerException(str(exc)) from exc
