"""haproxy.cfg lines of a :class:`~harness.ecs.haproxy.routing.Frontend`, and its map file.

The why of the weighted pick is in :mod:`.routing`. Quoting: each regex is written in
single quotes, where HAProxy's config parser changes nothing; a ``'`` inside becomes the
regex escape ``\\x27`` (PCRE2, which Debian's HAProxy uses). A header name is an RFC 7230
token without ``'`` (the control plane refuses others), quoted the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from harness.ecs.haproxy.model import Backend
from harness.ecs.haproxy.routing import (
    HEADER,
    HOST,
    PATH,
    PICK_RANGE,
    PICK_VAR,
    Frontend,
    Match,
    threshold_key,
)

#: The map file holding every frontend's thresholds (written before each reload).
WEIGHTS_MAP_NAME = "weights.map"


def quoted(text: str) -> str:
    return "'" + text.replace("'", "\\x27") + "'"


def _sample(match: Match) -> str:
    if match.part == PATH:
        return "path"
    if match.part == HOST:
        return "req.hdr(host),field(1,:)"
    if match.part == HEADER and match.header:
        return quoted(f"req.fhdr({match.header})")
    raise ValueError(f"unknown match {match!r}")


def acl_line(name: str, match: Match) -> str:
    flags = "-m reg -i" if match.ignore_case else "-m reg"
    patterns = " ".join(quoted(r) for r in match.regexes)
    return f"    acl {name} {_sample(match)} {flags} {patterns}"


def frontend_name(port: int) -> str:
    """The frontend of the listener on ``port`` (its ``show stat`` rows carry this name)."""
    return f"listener-{port}"


def frontend_lines(frontend: Frontend, backends: Mapping[str, Backend], map_path: str) -> list[str]:
    """``frontend listener-<port>``: ACLs per route, then ``use_backend`` in route order."""
    lines = [f"frontend {frontend_name(frontend.port)}", f"    bind :{frontend.port}"]
    weighted = any(len(route.backends) > 1 for route in frontend.routes)
    if weighted:
        lines.append(f"    http-request set-var({PICK_VAR}) rand({PICK_RANGE})")
    decisions: list[str] = []
    for r, route in enumerate(frontend.routes):
        names = []
        for m, match in enumerate(route.matches):
            names.append(f"r{r}m{m}")
            lines.append(acl_line(names[-1], match))
        for b, backend in enumerate(route.backends):
            proxy = backends[backend].proxy_name
            terms = list(names)
            if b < len(route.backends) - 1:
                key = threshold_key(frontend.port, r, b)
                terms.append(f"{{ str({key}),map_str_int({map_path},0),sub({PICK_VAR}) gt 0 }}")
            if terms:
                decisions.append(f"    use_backend {proxy} if {' '.join(terms)}")
            else:
                decisions.append(f"    default_backend {proxy}")
                break
        if not route.matches:
            break  # the default route: nothing after it is ever reached
    return lines + decisions


def weights_map(frontends: Iterable[Frontend]) -> str:
    """The map file's text: ``<key> <threshold>`` lines for every weighted route."""
    entries = [f"{k} {v}" for fe in frontends for k, v in sorted(fe.thresholds().items())]
    return "\n".join(entries) + ("\n" if entries else "")
