"""The page renders from a synthetic run, holds what it should and needs no network."""

from __future__ import annotations

import json
import re
from pathlib import Path

from harness.report.artifacts import write_report
from harness.report.gates import GateThresholds
from harness.report.html import render_html
from harness.report.records import read_records
from harness.report.rollout_report import analyse
from tests.report.synthetic import SECONDS, synthetic_run


def test_page_shows_verdict_gates_charts_and_events() -> None:
    page = render_html(analyse(synthetic_run(), GateThresholds()))
    assert "FAIL: error_rate" in page
    assert page.count("<svg") == 3
    for text in ("Requests and errors per second", "Latency per second", "X-Model-Version"):
        assert text in page
    assert "has reached a steady state" in page
    assert 'class="gate-fail"' in page and 'class="gate-pass"' in page
    assert "1 → 2" in page


def test_page_is_self_contained() -> None:
    page = render_html(analyse(synthetic_run(), GateThresholds()))
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert not re.search(r"(src|href)\s*=", page)
    assert "url(" not in page and "@import" not in page


def test_messages_are_escaped() -> None:
    run = synthetic_run()
    from harness.report.run import DeploymentEvent, RolloutRun

    hostile = RolloutRun(
        **{**run.__dict__, "events": [DeploymentEvent(run.started_at + 1, "<script>x</script>")]}
    )
    page = render_html(analyse(hostile, GateThresholds()))
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_artifacts_hold_summary_gates_events_series_and_every_request(tmp_path: Path) -> None:
    report = analyse(synthetic_run(), GateThresholds())
    files = write_report(report, tmp_path)
    data = json.loads(files.json.read_text())
    assert data["passed"] is False and data["failed_gates"] == ["error_rate"]
    assert data["summary"]["requests"] == 600
    assert len(data["series"]) == SECONDS
    assert data["series"][0]["versions"] == {"1": 20}
    assert data["events"][0]["source"] == "trigger" and data["events"][0]["t"] == 8.0
    assert {g["name"] for g in data["gates"]} >= {"error_rate", "p99_latency"}
    assert read_records(files.csv) == sorted(report.run.records, key=lambda r: r.time)
    assert files.html.read_text().startswith("<!DOCTYPE html>")
