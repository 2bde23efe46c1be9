"""Rule matching as AWS documents it: wildcards, case rules, any-value / all-conditions."""

from __future__ import annotations

from functools import cache

from hypothesis import given
from hypothesis import strategies as st

from harness.ecs.control_plane.elbv2.rules import (
    HOST_HEADER,
    HTTP_HEADER,
    PATH_PATTERN,
    Condition,
    Rule,
    forward_action,
    forward_weights,
    host_name,
)


def glob(pattern: str, text: str) -> bool:
    """Reference matcher: ``*`` any run, ``?`` one character, the rest literal."""

    @cache
    def at(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(text)
        if pattern[i] == "*":
            return at(i + 1, j) or (j < len(text) and at(i, j + 1))
        if j < len(text) and pattern[i] in ("?", text[j]):
            return at(i + 1, j + 1)
        return False

    return at(0, 0)


# regex metacharacters included on purpose: they must be literal in AWS's patterns
ALPHABET = "ab/.*?+()[]$^\\|{}-"


@given(
    st.text(ALPHABET, max_size=8), st.text(ALPHABET.replace("*", "").replace("?", ""), max_size=8)
)
def test_path_pattern_matches_like_aws_wildcards(pattern: str, path: str) -> None:
    condition = Condition(PATH_PATTERN, (pattern or "/",))
    assert condition.matches(path, "", {}) == glob(pattern or "/", path)


def test_path_is_case_sensitive_host_and_header_values_are_not() -> None:
    path = Condition(PATH_PATTERN, ("/API/*",))
    assert path.matches("/API/v1", "", {}) and not path.matches("/api/v1", "", {})
    host = Condition(HOST_HEADER, ("*.Example.com",))
    assert host.matches("/", "green.EXAMPLE.com:8080", {})  # the port is not compared
    assert not host.matches("/", "example.com", {})
    header = Condition(HTTP_HEADER, ("Canary?",), header="X-Variant")
    assert header.matches("/", "", {"x-variant": ["other", "canary1"]})
    assert not header.matches("/", "", {"x-variant": ["canary"]})
    assert not header.matches("/", "", {})


def test_values_are_alternatives_and_conditions_all_must_match() -> None:
    rule = Rule(
        arn="r",
        listener_arn="l",
        priority=1,
        conditions=[
            Condition(PATH_PATTERN, ("/a", "/b*")),
            Condition(HOST_HEADER, ("x.example.com",)),
        ],
        actions=[],
    )
    assert rule.matches("/b/c", "x.example.com", {})
    assert not rule.matches("/b/c", "y.example.com", {})
    assert not rule.matches("/c", "x.example.com", {})


def test_host_name_strips_the_port() -> None:
    assert host_name("a.b:80") == "a.b" and host_name("[::1]:80") == "[::1]"


def test_forward_spellings() -> None:
    assert forward_weights({"Type": "forward", "TargetGroupArn": "t"}) == {"t": 1}
    action = forward_action({"a": 9, "b": 1})
    assert "TargetGroupArn" not in action
    assert forward_weights(action) == {"a": 9, "b": 1}
    assert forward_action({"a": 3})["TargetGroupArn"] == "a"
