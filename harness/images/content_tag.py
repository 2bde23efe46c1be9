"""Tags derived from content, so an unchanged input never triggers a rebuild."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

IGNORED_PARTS = {"__pycache__", ".pytest_cache", ".wheelhouse", ".ruff_cache", ".hypothesis"}


def context_files(root: Path) -> list[Path]:
    """Files of a build context that matter for its content, in a stable order."""
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and not IGNORED_PARTS.intersection(path.relative_to(root).parts)
        and path.suffix != ".pyc"
    )


def content_tag(
    roots: Iterable[Path], extra: Mapping[str, str] | None = None, length: int = 12
) -> str:
    """Hash file paths and bytes under ``roots`` plus ``extra`` (build args, base image)."""
    digest = hashlib.sha256()
    for root in roots:
        for path in context_files(root):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    for key, value in sorted((extra or {}).items()):
        digest.update(f"{key}={value}\0".encode())
    return digest.hexdigest()[:length]
