"""Planning a pipeline from gitlab-ci-local's listing: stage order, rules, resource groups."""

from __future__ import annotations

import pytest

from harness.ci.gitlab_ci_local import RunnerToolError, plan_from

LISTED = """name;description;stage;when;allowFailure;needs
release;"";release;manual;false;[publish]
test;"";test;on_success;false;[]
publish;"";publish;on_success;false;[train]
"""
PREVIEW = {
    "stages": [".pre", "test", "publish", "release", ".post"],
    "release": {"stage": "release", "resource_group": "model-server"},
    "test": {"stage": "test"},
    "publish": {"stage": "publish"},
}


def test_jobs_come_in_stage_order_with_rules_and_resource_groups() -> None:
    jobs = plan_from(LISTED, PREVIEW)
    assert [(j.name, j.stage, j.when, j.resource_group) for j in jobs] == [
        ("test", "test", "on_success", None),
        ("publish", "publish", "on_success", None),
        ("release", "release", "manual", "model-server"),
    ]


def test_log_lines_around_the_listing_are_ignored() -> None:
    noisy = "Using fallback git remote data\n" + LISTED + "parsing finished in 40 ms\n"
    assert len(plan_from(noisy, PREVIEW)) == 3


def test_a_pipeline_without_jobs_is_refused() -> None:
    with pytest.raises(RunnerToolError, match="no jobs"):
        plan_from("name;description;stage;when;allowFailure;needs\n", {"stages": []})
