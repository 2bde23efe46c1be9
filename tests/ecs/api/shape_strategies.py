"""Hypothesis strategies derived from botocore's shapes: requests the model allows, and not.

``from_shape`` follows an operation's input shape (structures, lists, maps, enums,
integer ranges), so generated requests reach the control plane's rules instead of
stopping at validation; ``hostile`` bends a valid request (wrong types, huge numbers,
unknown members, deep nesting) so the protocol layer and the rules see what a fuzzer
or a broken client sends. Sizes are kept small: these run in CI on every commit.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape
from hypothesis import strategies as st

MAX_DEPTH = 5
#: Values that have taken emulators down: 1e12 counts, negative, NaN-adjacent, huge strings.
NASTY_INTEGERS = st.sampled_from([-1, 0, 1, 2**31, 10**12, -(2**63), 2**63 - 1])


def from_shape(
    shape: Shape, depth: int = 0, known: Mapping[str, Sequence[str]] | None = None
) -> st.SearchStrategy[Any]:
    """Values ``shape`` admits (required members always, optional ones sometimes).

    ``known``: for members of these names (``cluster``, ``TargetGroupArn`` ...), values
    that exist are drawn as often as arbitrary ones, so generated requests get past
    "not found" to the rules behind it.
    """
    known = known or {}
    if isinstance(shape, StructureShape):
        required = set(shape.required_members)

        def member(name: str, m: Shape) -> st.SearchStrategy[Any]:
            made = _leaf(m) if depth >= MAX_DEPTH else from_shape(m, depth + 1, known)
            if name in known and m.type_name == "string":
                return st.one_of(st.sampled_from(list(known[name])), made)
            if name in known and isinstance(m, ListShape):
                return st.one_of(st.lists(st.sampled_from(list(known[name])), max_size=2), made)
            return made

        if depth >= MAX_DEPTH:
            return st.fixed_dictionaries(
                {k: member(k, m) for k, m in shape.members.items() if k in required}
            )
        return st.fixed_dictionaries(
            {k: member(k, m) for k, m in shape.members.items() if k in required},
            optional={k: member(k, m) for k, m in shape.members.items() if k not in required},
        )
    if isinstance(shape, ListShape):
        if depth >= MAX_DEPTH:
            return st.just([])
        return st.lists(from_shape(shape.member, depth + 1, known), max_size=3)
    if isinstance(shape, MapShape):
        if depth >= MAX_DEPTH:
            return st.just({})
        return st.dictionaries(
            st.text(min_size=1, max_size=8), from_shape(shape.value, depth + 1, known), max_size=3
        )
    return _leaf(shape)


def _leaf(shape: Shape) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "string":
        if shape.enum:
            return st.sampled_from(list(shape.enum))
        low = int(shape.metadata.get("min", 0))
        high = int(shape.metadata.get("max", max(low, 24)))
        return st.text(min_size=low, max_size=max(low, min(high, 24)))
    if kind in ("integer", "long"):
        low = shape.metadata.get("min")
        high = shape.metadata.get("max")
        return st.one_of(st.integers(min_value=low, max_value=high), NASTY_INTEGERS)
    if kind == "boolean":
        return st.booleans()
    if kind in ("double", "float"):
        return st.floats(allow_nan=False, allow_infinity=False, width=32)
    if kind == "timestamp":
        return st.integers(0, 2**32)
    if kind == "blob":
        return st.binary(max_size=16).map(lambda b: base64.b64encode(b).decode())
    return st.none()


JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), NASTY_INTEGERS, st.text(max_size=12), st.floats(allow_nan=False)
)
ANY_JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)


def hostile(
    shape: Shape, known: Mapping[str, Sequence[str]] | None = None
) -> st.SearchStrategy[Any]:
    """A valid request with one member replaced by arbitrary JSON, or an extra member,
    or any JSON at all."""

    def bend(request: dict[str, Any], data: st.DataObject) -> Any:
        if request and data.draw(st.booleans()):
            key = data.draw(st.sampled_from(sorted(request)))
            return {**request, key: data.draw(ANY_JSON)}
        return {**request, data.draw(st.text(min_size=1, max_size=8)): data.draw(ANY_JSON)}

    valid = from_shape(shape, known=known)
    bent = st.tuples(valid, st.data()).map(lambda pair: bend(*pair))
    return st.one_of(bent, ANY_JSON)
