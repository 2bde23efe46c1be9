"""Listener routing in HAProxy's words: thresholds, the rendered frontend, live weights."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from harness.ecs.haproxy.config import WEIGHTS_MAP_PATH, render_config
from harness.ecs.haproxy.driver import HaproxyDriver
from harness.ecs.haproxy.model import Backend
from harness.ecs.haproxy.routing import PICK_RANGE, Frontend, Match, Route, single
from harness.ecs.haproxy.routing_config import weights_map
from tests.ecs.haproxy.test_driver import RunningHaproxyApi, ScriptedApi, Sink


def pick(route: Route, draw: int) -> str:
    """What the rendered use_backend lines decide for ``rand()`` = ``draw``."""
    for backend, threshold in zip(route.backends, route.thresholds(), strict=False):
        if threshold - draw > 0:
            return backend
    return route.backends[-1]


@given(st.lists(st.integers(0, 999), min_size=1, max_size=5).filter(any))
def test_thresholds_give_each_backend_its_weight_share(weights: list[int]) -> None:
    names = tuple(f"b{i}" for i in range(len(weights)))
    route = Route((), names, tuple(weights))
    counts = dict.fromkeys(names, 0)
    for draw in range(PICK_RANGE):
        counts[pick(route, draw)] += 1
    total = sum(weights)
    for name, weight in zip(names, weights, strict=True):
        # exact up to the rounding of each cumulative threshold (1/10000 either side)
        assert abs(counts[name] - PICK_RANGE * weight / total) <= 1


def test_weight_zero_never_gets_traffic_and_a_lone_backend_needs_no_map() -> None:
    route = Route((), ("blue", "green"), (0, 5))
    assert all(pick(route, d) == "green" for d in range(PICK_RANGE))
    assert Route((), ("blue",), (1,)).thresholds() == ()


ROUTED = Frontend(
    8081,
    (
        Route((Match("path", ("^/v2/.*$",), False),), ("green",), (1,)),
        Route(
            (
                Match("host", ("^it's\\.example\\.com$",), True),
                Match("header", ("^canary$",), True, header="X-Variant"),
            ),
            ("blue", "green"),
            (1, 3),
        ),
        Route((), ("blue", "green"), (90, 10)),
    ),
)


def test_rendered_frontend_routes_in_order_with_weights_in_the_map() -> None:
    backends = [Backend("blue"), Backend("green")]
    config = render_config(backends, {8081: ROUTED})
    frontend = config.split("frontend listener-8081\n", 1)[1].split("\n\n", 1)[0]
    assert frontend.splitlines() == [
        "    bind :8081",
        "    http-request set-var(txn.dd_pick) rand(10000)",
        "    acl r0m0 path -m reg '^/v2/.*$'",
        "    acl r1m0 req.hdr(host),field(1,:) -m reg -i '^it\\x27s\\.example\\.com$'",
        "    acl r1m1 'req.fhdr(X-Variant)' -m reg -i '^canary$'",
        "    use_backend tg-green if r0m0",
        f"    use_backend tg-blue if r1m0 r1m1 {{ str(l8081.r1.b0),"
        f"map_str_int({WEIGHTS_MAP_PATH},0),sub(txn.dd_pick) gt 0 }}",
        "    use_backend tg-green if r1m0 r1m1",
        f"    use_backend tg-blue if {{ str(l8081.r2.b0),"
        f"map_str_int({WEIGHTS_MAP_PATH},0),sub(txn.dd_pick) gt 0 }}",
        "    default_backend tg-green",
    ]
    assert weights_map([ROUTED]) == "l8081.r1.b0 2500\nl8081.r2.b0 9000\n"


def test_a_single_backend_listener_renders_as_before() -> None:
    config = render_config([Backend("web")], {80: "web"})
    assert "rand(" not in config
    assert "frontend listener-80\n    bind :80\n    default_backend tg-web\n" in config


def test_weights_change_live_and_rules_change_by_reload() -> None:
    api, sink = ScriptedApi(), Sink()
    driver = HaproxyDriver(api, sink)  # type: ignore[arg-type]
    driver.add_backend(Backend("blue"))
    driver.add_backend(Backend("green"))
    driver.set_frontend(ROUTED)
    assert sink.files["weights.map"] == weights_map([ROUTED])
    reloads = api.commands.count("reload")
    api.commands.clear()
    shifted = Frontend(8081, (*ROUTED.routes[:2], Route((), ("blue", "green"), (50, 50))))
    driver.set_frontend(shifted)
    assert api.commands == [f"set map {WEIGHTS_MAP_PATH} l8081.r2.b0 5000"]  # no reload
    assert api.commands.count("reload") == 0
    driver.set_frontend(single(8081, "blue"))  # the rules went: a new layout
    assert api.commands.count("reload") == 1 and reloads == 3
    assert sink.files["weights.map"] == ""


def test_shares_over_many_draws_match_weights() -> None:
    """The pick with HAProxy's uniform draw: 90/10 over 20,000 requests, within 1 point."""
    rng = random.Random(7)
    route = ROUTED.routes[2]
    draws = [pick(route, rng.randrange(PICK_RANGE)) for _ in range(20_000)]
    assert abs(draws.count("green") / len(draws) - 0.10) < 0.01


class RoutedHaproxyApi(RunningHaproxyApi):
    """A running HAProxy serving listener 8080 with backends tg-web and tg-green; its
    weights map has the keys of one weighted route (or none: an older layout)."""

    def __init__(self, keys: set[str]) -> None:
        super().__init__()
        self.keys = keys

    def worker(self, command: str) -> str:
        if command == "show backend":
            self.commands.append(command)
            return "# name\ntg-web\ntg-green\n"
        if command.startswith("set map "):
            self.commands.append(command)
            key = command.split()[3]
            return "" if key in self.keys else "entry not found.\n"
        return super().worker(command)


WEIGHTED = Frontend(8080, (Route((), ("web", "green"), (3, 1)),))


def test_resume_pushes_the_journals_weights_without_a_reload() -> None:
    api, sink = RoutedHaproxyApi({"l8080.r0.b0"}), Sink()
    driver = HaproxyDriver(api, sink)  # type: ignore[arg-type]
    backends = [Backend("web"), Backend("green")]
    assert driver.resume(backends, {8080: WEIGHTED}, {}) == {"web", "green"}
    assert f"set map {WEIGHTS_MAP_PATH} l8080.r0.b0 7500" in api.commands
    api.commands.clear()
    driver.set_frontend(WEIGHTED)
    assert api.commands == [], "already served as it is"


def test_resume_of_another_layout_reloads_on_the_next_set_frontend() -> None:
    api, sink = RoutedHaproxyApi(set()), Sink()
    driver = HaproxyDriver(api, sink)  # type: ignore[arg-type]
    driver.resume([Backend("web"), Backend("green")], {8080: WEIGHTED}, {})
    assert "reload" not in api.commands
    driver.set_frontend(WEIGHTED)
    assert "reload" in api.commands and "l8080.r0.b0 7500" in sink.files["weights.map"]


def test_a_removed_frontend_is_no_longer_bound() -> None:
    api, sink = ScriptedApi(), Sink()
    driver = HaproxyDriver(api, sink)  # type: ignore[arg-type]
    driver.add_backend(Backend("web"))
    driver.bind_frontend(8080, "web")
    assert "bind :8080" in sink.files["haproxy.cfg"]
    driver.remove_frontend(8080)
    assert "bind :8080" not in sink.files["haproxy.cfg"]
    reloads = api.commands.count("reload")
    driver.remove_frontend(8080)  # nothing bound: nothing to do
    assert api.commands.count("reload") == reloads
