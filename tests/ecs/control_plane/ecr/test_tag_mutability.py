"""ECR's tag mutability rules: which pushes may move a tag."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.ecs.control_plane.ecr.errors import ImageTagAlreadyExistsException
from harness.ecs.control_plane.ecr.tag_mutability import TagRule, check_tag_push, wildcard_matches

OLD, NEW = "sha256:" + "a" * 64, "sha256:" + "b" * 64
TAGS = st.from_regex(r"[0-9a-zA-Z._-]{1,20}", fullmatch=True)


def test_an_immutable_repository_refuses_moving_a_tag_naming_tag_and_repository() -> None:
    with pytest.raises(ImageTagAlreadyExistsException) as refused:
        check_tag_push(TagRule("team/app", "IMMUTABLE"), "v1", OLD, NEW)
    assert refused.value.message == (
        "The image tag 'v1' already exists in the 'team/app' repository and cannot be "
        "overwritten because the repository is immutable."
    )
    assert refused.value.shape == "ImageTagAlreadyExistsException"


@given(tag=TAGS, mutability=st.sampled_from(["IMMUTABLE", "MUTABLE"]))
def test_a_new_tag_or_the_same_digest_again_is_always_allowed(tag: str, mutability: str) -> None:
    rule = TagRule("app", mutability)
    check_tag_push(rule, tag, None, NEW)
    check_tag_push(rule, tag, NEW, NEW)


@given(tag=TAGS)
def test_a_mutable_repository_lets_any_tag_move(tag: str) -> None:
    check_tag_push(TagRule("app", "MUTABLE"), tag, OLD, NEW)


def test_exclusion_filters_invert_the_rule_for_the_tags_they_match() -> None:
    immutable_but_latest = TagRule("app", "IMMUTABLE_WITH_EXCLUSION", ("latest", "dev-*"))
    assert immutable_but_latest.is_immutable("v1")
    assert not immutable_but_latest.is_immutable("latest")
    assert not immutable_but_latest.is_immutable("dev-42")
    mutable_but_releases = TagRule("app", "MUTABLE_WITH_EXCLUSION", ("release-*",))
    assert mutable_but_releases.is_immutable("release-1.0")
    assert not mutable_but_releases.is_immutable("latest")
    check_tag_push(immutable_but_latest, "dev-42", OLD, NEW)
    with pytest.raises(ImageTagAlreadyExistsException):
        check_tag_push(mutable_but_releases, "release-1.0", OLD, NEW)


@pytest.mark.parametrize(
    ("pattern", "tag", "matches"),
    [
        ("*", "anything", True),
        ("v1.*", "v1.2", True),
        ("v1.*", "v1x2", False),  # the dot is a dot, not any character
        ("a*b*c", "aXbYc", True),
        ("a*b*c", "aXbY", False),
        ("latest", "latest-1", False),
    ],
)
def test_wildcards_know_only_the_star(pattern: str, tag: str, matches: bool) -> None:
    assert wildcard_matches(pattern, tag) is matches
