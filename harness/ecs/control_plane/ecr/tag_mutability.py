"""Whether a push may point a tag at an image: ECR's tag mutability rules, pure.

``IMMUTABLE`` freezes every tag once it exists; ``MUTABLE`` freezes none. The
``*_WITH_EXCLUSION`` settings invert the rule for tags that match one of the
repository's exclusion filters (ECR's ``WILDCARD`` filters: ``*`` matches any run of
characters, everything else itself). Re-pushing the digest a tag already names is no
overwrite, so it is always allowed, as on ECR (``docker push`` of an unchanged image).
A name the emulator has no repository for is mutable: pushes to it predate ECR here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.ecs.control_plane.ecr.errors import ImageTagAlreadyExistsException

IMMUTABLE_SETTINGS = frozenset({"IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"})


@dataclass(frozen=True)
class TagRule:
    """A repository's tag mutability as a push sees it (copied out under the plane's lock)."""

    repository: str
    mutability: str = "MUTABLE"
    exclusion_filters: tuple[str, ...] = ()

    def is_immutable(self, tag: str) -> bool:
        excluded = any(wildcard_matches(pattern, tag) for pattern in self.exclusion_filters)
        return (self.mutability in IMMUTABLE_SETTINGS) != excluded


def wildcard_matches(pattern: str, tag: str) -> bool:
    """ECR's WILDCARD filter: ``*`` is the only special character (no ``?`` or ``[``)."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, tag) is not None


def check_tag_push(rule: TagRule, tag: str, current_digest: str | None, pushed_digest: str) -> None:
    """Refuse moving an immutable ``tag`` from ``current_digest`` to ``pushed_digest``."""
    if current_digest is None or current_digest == pushed_digest:
        return
    if rule.is_immutable(tag):
        raise ImageTagAlreadyExistsException(tag, rule.repository)
