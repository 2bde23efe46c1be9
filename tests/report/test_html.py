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


def test_page_is_accessible_charts_named_tables_captioned_series_not_only_colour() -> None:
    page = render_html(analyse(synthetic_run(), GateThresholds()))
    for chart in ("chart-traffic", "chart-latency", "chart-share"):
        assert (
            f'id="{chart}" class="chart"' in page
            and f'aria-labelledby="{chart}-title {chart}-desc"' in page
        )
        assert f'<title id="{chart}-title">' in page and f'<desc id="{chart}-desc">' in page
    markup = page[: page.index("<script")]  # the tooltip script builds a table of its own
    tables = markup.count("<table")
    assert markup.count("<caption>") == tables == 5  # gates, errors, events, versions, params
    assert "<th>" not in markup  # every header cell says what it heads: scope col or row
    assert 'scope="col"' in page and "scope='row'" in page
    # the second series of each line chart is dashed, versions alternate solid and hatched
    assert page.count('stroke-dasharray="6 3"') >= 2
    assert "errors/s (dashed)" in page and "p99 (dashed)" in page
    assert 'fill="url(#chart-share-hatch-1)"' in page and "2 (hatched)" in page


def test_errors_are_broken_down_with_the_first_example_of_each() -> None:
    page = render_html(analyse(synthetic_run(), GateThresholds()))
    table = page[page.index("<table id='errors'>") :]
    table = table[: table.index("</table>")]
    # synthetic: three 502s at second 14 (two on /predict, one on infer), no task named
    assert "Failed requests by status, endpoint and task" in table
    assert table.count("<tr>") == 1 + 2
    assert "<th scope='row'>502</th><td>/predict</td><td>(no task)</td><td>2</td>" in table
    assert "<td>/v2/models/iris/infer</td><td>(no task)</td><td>1</td><td>14.0s</td>" in table


def test_chart_data_for_the_hover_matches_the_timeline() -> None:
    report = analyse(synthetic_run(), GateThresholds())
    page = render_html(report)
    start = page.index('<script type="application/json" id="report-data">')
    payload = page[page.index(">", start) + 1 : page.index("</script>", start)]
    data = json.loads(payload)
    assert data["seconds"] == SECONDS
    traffic = {s["name"]: s["values"] for s in data["charts"]["chart-traffic"]["series"]}
    assert traffic["requests/s"] == [b.requests for b in report.timeline]
    assert traffic["errors/s"][14] == 3
    share = {s["name"]: s["values"] for s in data["charts"]["chart-share"]["series"]}
    assert share["version 1"][0] == 100.0 and share["version 2"][-1] == 100.0


def test_page_is_self_contained() -> None:
    # Nothing is fetched: scripts are inline, url() points inside the page, and the only
    # links are to the run's own report.json and requests.csv beside the page.
    page = render_html(analyse(synthetic_run(), GateThresholds()))
    assert not re.search(r"<(link|img|iframe)\b", page)
    assert not re.search(r"\bsrc\s*=", page)
    assert sorted(re.findall(r"href\s*=\s*'([^']*)'", page)) == ["report.json", "requests.csv"]
    assert len(re.findall(r"href\s*=", page)) == 2
    assert re.findall(r"url\((?!#)", page) == [] and "@import" not in page


def test_messages_are_escaped() -> None:
    run = synthetic_run()
    from harness.report.run import DeploymentEvent, RolloutRun

    hostile = RolloutRun(
        **{**run.__dict__, "events": [DeploymentEvent(run.started_at + 1, "<script>x</script>")]}
    )
    page = render_html(analyse(hostile, GateThresholds()))
    assert "<script>x</script>" not in page and "&lt;script&gt;x" in page


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
