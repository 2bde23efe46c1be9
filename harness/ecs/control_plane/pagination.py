"""nextToken/maxResults for List* operations, so boto3 paginators work unchanged."""

from __future__ import annotations

import base64
from typing import Any, TypeVar

from harness.ecs.control_plane.errors import InvalidParameterException

T = TypeVar("T")


def paginate(
    items: list[T],
    request: dict[str, Any],
    token_key: str = "nextToken",
    size_key: str = "maxResults",
    default_size: int = 100,
) -> tuple[list[T], str | None]:
    """One page of ``items`` and the token for the next page (None on the last page).

    The token is an opaque offset; a token we did not issue is an InvalidParameter error.
    """
    start = 0
    token = request.get(token_key)
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except ValueError as exc:
            raise InvalidParameterException(f"Invalid {token_key}: '{token}'.") from exc
    size = request.get(size_key) or default_size
    if size < 1:
        raise InvalidParameterException(f"{size_key} must be at least 1, not {size}.")
    page = items[start : start + size]
    end = start + size
    next_token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return page, next_token


def with_token(output: dict[str, Any], token: str | None, key: str = "nextToken") -> dict[str, Any]:
    if token:
        output[key] = token
    return output
