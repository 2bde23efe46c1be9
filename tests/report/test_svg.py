"""Chart primitives: axis steps, gaps where nothing was measured, readable event labels."""

from __future__ import annotations

import re

from harness.report.svg import Marker, Series, line_chart, nice_step, stacked_share_chart


def test_axis_steps_are_1_2_5_times_a_power_of_ten() -> None:
    assert nice_step(100) == 50
    assert nice_step(7) == 2
    assert nice_step(0.3) == 0.1
    assert nice_step(0) == 1.0


def test_a_missing_second_breaks_the_line() -> None:
    svg = line_chart("t", "ms", [Series("p99", "#000", [1, 2, None, 4, 5])], 5, [])
    assert svg.count("<polyline") == 2


def test_close_event_labels_step_down_instead_of_overlapping() -> None:
    markers = [Marker(3.0, "T", "trigger"), Marker(3.05, "1", "started"), Marker(9, "2", "steady")]
    svg = line_chart("t", "/s", [Series("r", "#000", [1] * 10)], 10, markers)
    label_y = [float(y) for y in re.findall(r'<text x="[\d.]+" y="([\d.]+)" fill=', svg)]
    assert label_y[0] != label_y[1] and label_y[0] == label_y[2]
    assert "<title>started</title>" in svg


def test_share_chart_skips_empty_seconds_and_stacks_to_the_top() -> None:
    svg = stacked_share_chart("v", [{"1": 4}, {}, {"1": 1, "2": 3}], {"1": "#00f", "2": "#f80"}, [])
    assert svg.count('shape-rendering="crispEdges"') == 3  # one bar, then two stacked
    assert "2s: version 2 75%" in svg
