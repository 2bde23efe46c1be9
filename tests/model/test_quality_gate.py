"""The quality gate's verdict: a threshold and the served model, both figures in the message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.errors import DrydockError
from harness.model.artifact import package
from harness.model.quality_gate import ServedScore, judge, score_of
from harness.model.training import train


def test_a_candidate_below_the_threshold_is_refused_with_both_figures() -> None:
    verdict = judge("accuracy", "7", 0.81, 0.9)
    assert not verdict.passed
    assert "accuracy 0.8100 (candidate v7) is below the threshold 0.9000" in verdict.message
    assert "no model is served yet" in verdict.message


def test_a_candidate_below_the_served_model_is_refused_naming_its_version_and_score() -> None:
    verdict = judge("accuracy", "3", 0.92, 0.9, ServedScore("2", 0.97))
    assert not verdict.passed
    assert "0.9200" in verdict.message
    assert "below the served model v2's 0.9700" in verdict.message
    assert "threshold 0.9000" in verdict.message


def test_below_both_names_both() -> None:
    verdict = judge("f1_macro", "3", 0.5, 0.9, ServedScore("2", 0.97))
    assert "below the threshold 0.9000 and below the served model v2's 0.9700" in verdict.message


def test_a_tie_with_the_served_model_passes() -> None:
    verdict = judge("accuracy", "3", 0.97, 0.9, ServedScore("2", 0.97))
    assert verdict.passed
    assert verdict.message.startswith("quality gate passed: accuracy 0.9700")
    assert verdict.as_json()["servedVersion"] == "2"


@given(
    candidate=st.floats(0, 1),
    threshold=st.floats(0, 1),
    served=st.one_of(st.none(), st.floats(0, 1)),
)
def test_passes_exactly_when_at_or_above_every_bar(
    candidate: float, threshold: float, served: float | None
) -> None:
    verdict = judge(
        "accuracy", "1", candidate, threshold, None if served is None else ServedScore("0", served)
    )
    bars = [threshold] + ([] if served is None else [served])
    assert verdict.passed == all(candidate >= bar for bar in bars)


def test_a_metric_the_manifest_does_not_record_is_named() -> None:
    manifest = package(train(), "iris", "1").manifest
    assert score_of(manifest, "accuracy", "the candidate") == manifest.metrics["accuracy"]
    with pytest.raises(DrydockError, match=r"the candidate \(model iris v1\) has no 'auc' metric"):
        score_of(manifest, "auc", "the candidate")
