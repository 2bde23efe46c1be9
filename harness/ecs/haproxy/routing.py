"""A listener's routing in HAProxy's words: ACLs, ``use_backend``, a weighted pick.

A :class:`Frontend` is one listener port and its :class:`Route` list in evaluation order
(the last one, with no matches, is the default). A route sends a request to one of its
backends by weight; the weights live in a map file, not in the config, so a traffic shift
is a few ``set map`` commands on the Runtime API: no reload, no connection touched.

How a weighted pick works (HAProxy 2.6, no Lua): every request draws one number,
``http-request set-var(txn.dd_pick) rand(10000)``. A route with backends ``b0..bn``
has, for each ``bi`` but the last, a cumulative threshold ``ti`` (weights ``w0..wi`` as a
share of 10000) in the map under the key :func:`threshold_key`; the config says
``use_backend bi if <route's ACLs> { str(<key>),map_str_int(<map>,0),sub(txn.dd_pick) gt 0 }``
(that is ``pick < ti``), in order, and the last backend takes the route's remainder. A
threshold of 0 (weight 0) never matches, 10000 always does, and a key the map lacks reads
as 0, so whatever the map holds mid-update, every request still reaches one of the
route's backends. Resolution is 1/10000; AWS's weights are 0..999 each.

Backends stay one per target group, so each target group's requests, 5xx and response
times are its own backend's ``show stat`` row; HAProxy's own answers (no server up: 503)
are counted against the frontend as well.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

#: ``rand(PICK_RANGE)`` draws 0..PICK_RANGE-1; thresholds are shares of it.
PICK_RANGE = 10_000
PICK_VAR = "txn.dd_pick"

PATH = "path"
HOST = "host"
HEADER = "header"


@dataclass(frozen=True)
class Match:
    """One condition: the part of the request read, and regexes of which any must match.

    ``part``: ``path`` (without the query string), ``host`` (the Host header without its
    port) or ``header`` (every occurrence of header ``header``, whole lines)."""

    part: str
    regexes: tuple[str, ...]
    ignore_case: bool
    header: str | None = None


@dataclass(frozen=True)
class Route:
    """Requests matching all ``matches`` go to ``backends`` (names) by ``weights``."""

    matches: tuple[Match, ...]
    backends: tuple[str, ...]
    weights: tuple[int, ...]

    def thresholds(self) -> tuple[int, ...]:
        """Cumulative share of :data:`PICK_RANGE` for every backend but the last."""
        total = sum(self.weights)
        if total <= 0:
            return tuple(0 for _ in self.backends[:-1])
        found, running = [], 0
        for weight in self.weights[:-1]:
            running += weight
            found.append(round(PICK_RANGE * running / total))
        return tuple(found)


@dataclass(frozen=True)
class Frontend:
    """A listener port and its routes in evaluation order, the default route last."""

    port: int
    routes: tuple[Route, ...]

    @property
    def layout(self) -> Frontend:
        """The frontend without its weights: what the config says (a change reloads)."""
        return replace(
            self,
            routes=tuple(replace(r, weights=tuple(0 for _ in r.weights)) for r in self.routes),
        )

    def thresholds(self) -> dict[str, int]:
        """Map key -> threshold, for the routes that choose between backends."""
        return {
            threshold_key(self.port, r, b): value
            for r, route in enumerate(self.routes)
            for b, value in enumerate(route.thresholds())
        }

    def backend_names(self) -> set[str]:
        return {name for route in self.routes for name in route.backends}


def single(port: int, backend: str) -> Frontend:
    """A listener that forwards everything to one backend."""
    return Frontend(port, (Route((), (backend,), (1,)),))


def threshold_key(port: int, route: int, backend: int) -> str:
    return f"l{port}.r{route}.b{backend}"
