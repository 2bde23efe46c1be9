"""The rollout report as one self-contained HTML page.

Everything is inline (CSS, SVG and the small script that makes the charts
explorable, ``explore.js``), nothing is fetched: the file can be mailed, attached
to a CI run or opened offline; its only links are to ``report.json`` and
``requests.csv`` beside it. Read from the top, the page answers "did the rollout
hurt clients?" first (verdict and gates), then shows when and how (charts with the
deployment events marked; hover, crosshair, drag to zoom), then the details
(errors by status, endpoint and task, events, versions).
"""

from __future__ import annotations

import json
import time
from html import escape
from importlib.resources import files
from typing import Any

from harness.report.error_breakdown import error_breakdown
from harness.report.rollout_report import RolloutReport
from harness.report.run import DeploymentEvent
from harness.report.svg import Marker, Series, line_chart, stacked_share_chart
from harness.report.timeline import NO_VERSION, version_order
from harness.report.traffic_steps import (
    configured_weight_per_second,
    lifecycle_stage,
    production_steps,
    traffic_shift,
)

VERSION_COLORS = ("#2f6fdf", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#9c755f")
NONE_COLOR = "#bbbbbb"
TRIGGER_COLOR = "#111111"
EVENT_COLOR = "#8a5a00"
STAGE_COLOR = "#5b6770"  # a lifecycle stage of a BLUE_GREEN/LINEAR/CANARY deployment
SHIFT_COLOR = "#0a7d3b"  # a traffic step: a listener rule's weights changed
CONFIGURED_COLOR = "#111111"

STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;color:#222;
background:#fafafa;max-width:1000px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.sub{color:#666;font-size:13px}
.verdict{padding:10px 14px;border-radius:6px;font-weight:600;margin:14px 0;color:#fff}
.pass{background:#2e7d32}.fail{background:#c62828}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:120px}
.card b{display:block;font-size:20px}.card span{color:#666;font-size:12px}
table{border-collapse:collapse;background:#fff;font-size:13px;width:100%}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
tr.gate-pass td.state{background:#e3f4e4;color:#1b5e20;font-weight:600}
tr.gate-fail td.state{background:#fde2e2;color:#b71c1c;font-weight:600}
svg{background:#fff;border:1px solid #ddd;border-radius:6px;margin:6px 0;max-width:100%;height:auto}
svg .title{font-size:13px;font-weight:600}
svg .legend,svg .xtick,svg .ytick,svg .unit{font-size:11px}
svg .ytick{text-anchor:end}svg .xtick{text-anchor:middle}svg .unit{text-anchor:middle;fill:#666}
svg .plot{fill:none;stroke:#ccc}svg .grid{stroke:#eee}
svg .marker-line{stroke-dasharray:4 3;stroke-width:1.5}
svg .marker-label{font-size:11px;font-weight:600}
svg .crosshair{stroke:#333;stroke-width:1;pointer-events:none}
svg .selection{fill:#2f6fdf;fill-opacity:.15;pointer-events:none}
svg .hit{cursor:crosshair}
caption{text-align:left;font-weight:600;padding:4px 0;color:#444}
.links a{margin-right:12px}
#chart-tooltip{position:absolute;background:#fff;border:1px solid #888;border-radius:4px;
padding:4px 8px;font-size:12px;pointer-events:none;box-shadow:0 1px 4px #0003}
#chart-tooltip table{width:auto;font-size:12px}
#chart-tooltip th,#chart-tooltip td{border:0;padding:0 6px 0 0}
"""

#: The charts' element ids; explore.js finds each chart's data under its id.
TRAFFIC_ID, LATENCY_ID, SHARE_ID = "chart-traffic", "chart-latency", "chart-share"
SECOND_DASH = "6 3"  # the second series of a chart is dashed: told apart without colour


def _num(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{unit}"


def event_label(event: DeploymentEvent) -> str:
    """What a mark says besides its number: a lifecycle stage, or a traffic step's green
    weight (``10%``; ``test 100%`` for the test listener); empty for other events."""
    stage = lifecycle_stage(event)
    if stage is not None:
        return stage
    shift = traffic_shift(event)
    if shift is not None:
        return f"{'' if shift.production else 'test '}{shift.green_weight}%"
    return ""


def numbered_events(report: RolloutReport) -> list[tuple[str, DeploymentEvent]]:
    """Each event with its label on the charts: ``T`` for the trigger, 1, 2, ... for ECS's
    (``4 BAKE_TIME``, ``5 10%``: stages and traffic steps say which)."""
    labelled: list[tuple[str, DeploymentEvent]] = []
    number = 0
    for event in report.run.events:
        if event.source == "trigger":
            labelled.append(("T", event))
        else:
            number += 1
            labelled.append((f"{number} {event_label(event)}".strip(), event))
    return labelled


def _marker_color(event: DeploymentEvent) -> str:
    if event.source == "trigger":
        return TRIGGER_COLOR
    if lifecycle_stage(event) is not None:
        return STAGE_COLOR
    return SHIFT_COLOR if traffic_shift(event) is not None else EVENT_COLOR


def _markers(report: RolloutReport) -> list[Marker]:
    return [
        Marker(
            second=report.since_start(event.at),
            label=label,
            title=f"{report.since_start(event.at):.1f}s {event.message}",
            color=_marker_color(event),
        )
        for label, event in numbered_events(report)
    ]


def configured_weights(report: RolloutReport) -> Series | None:
    """The configured green weight per second, when the deployment shifted traffic."""
    run = report.run
    steps = production_steps(run.events, run.ended_at)
    if not steps:
        return None
    values = configured_weight_per_second(steps, run.started_at, len(report.timeline))
    return Series("configured green weight", CONFIGURED_COLOR, values, SECOND_DASH)


def version_colors(report: RolloutReport) -> dict[str, str]:
    versions = version_order(report.timeline)
    named = [v for v in versions if v != NO_VERSION]
    colors = {v: VERSION_COLORS[i % len(VERSION_COLORS)] for i, v in enumerate(named)}
    if NO_VERSION in versions:
        colors[NO_VERSION] = NONE_COLOR
    return colors


def _chart_series(report: RolloutReport) -> dict[str, tuple[str, list[Series]]]:
    """Each line chart's unit and series, shared by the SVG and the hover data."""
    buckets = report.timeline
    return {
        TRAFFIC_ID: (
            "per second",
            [
                Series("requests/s", "#2f6fdf", [b.requests for b in buckets]),
                Series("errors/s", "#d62728", [b.errors for b in buckets], SECOND_DASH),
            ],
        ),
        LATENCY_ID: (
            "ms",
            [
                Series("p50", "#17a589", [b.p50_ms for b in buckets]),
                Series("p99", "#8e44ad", [b.p99_ms for b in buckets], SECOND_DASH),
            ],
        ),
    }


def charts(report: RolloutReport) -> list[str]:
    """The three time charts, sharing one x axis and the same event marks."""
    buckets = report.timeline
    seconds = len(buckets)
    markers = _markers(report)
    lines = _chart_series(report)
    traffic = line_chart(
        "Requests and errors per second", *lines[TRAFFIC_ID], seconds, markers, TRAFFIC_ID
    )
    latency = line_chart("Latency per second", *lines[LATENCY_ID], seconds, markers, LATENCY_ID)
    share = stacked_share_chart(
        "Share of responses by model version (X-Model-Version)",
        [b.versions for b in buckets],
        version_colors(report),
        markers,
        SHARE_ID,
        configured_weights(report),
    )
    return [traffic, latency, share]


def chart_data(report: RolloutReport) -> dict[str, Any]:
    """What the hover shows: per chart, each series' value for every second."""
    data: dict[str, Any] = {
        chart: {"unit": unit, "series": [{"name": s.name, "values": list(s.values)} for s in ss]}
        for chart, (unit, ss) in _chart_series(report).items()
    }
    shares = []
    for version in version_colors(report):
        values = []
        for bucket in report.timeline:
            total = sum(bucket.versions.values())
            values.append(
                round(100 * bucket.versions.get(version, 0) / total, 1) if total else None
            )
        shares.append({"name": f"version {version}", "values": values})
    configured = configured_weights(report)
    if configured is not None:
        shares.append({"name": configured.name, "values": list(configured.values)})
    data[SHARE_ID] = {"unit": "%", "series": shares}
    return {"seconds": len(report.timeline), "charts": data}


def _interaction(report: RolloutReport) -> str:
    """The data, the tooltip and the script; ``</`` escaped so no string ends the script."""
    payload = json.dumps(chart_data(report), separators=(",", ":")).replace("</", "<\\/")
    script = files("harness.report").joinpath("explore.js").read_text(encoding="utf-8")
    return (
        '<div id="chart-tooltip" role="status" hidden></div>'
        f'<script type="application/json" id="report-data">{payload}</script>'
        f"<script>{script}</script>"
    )


def _verdict(report: RolloutReport) -> str:
    if report.passed:
        return f'<div class="verdict pass">PASS: all {len(report.gates)} gates passed</div>'
    names = ", ".join(g.name for g in report.failed_gates)
    return f'<div class="verdict fail">FAIL: {escape(names)}</div>'


def _cards(report: RolloutReport) -> str:
    s = report.summary
    versions = " → ".join(v.version for v in s.versions) or "none"
    cards = [
        (f"{s.requests:,}", "requests"),
        (f"{s.errors:,} ({_num(s.error_rate_pct, '%', 2)})", "errors"),
        (_num(s.p50_ms, " ms"), "p50 latency"),
        (_num(s.p99_ms, " ms"), "p99 latency"),
        (_num(s.achieved_rps, "/s"), "achieved rate"),
        (_num(s.mixed_version_window_s, " s"), "mixed-version window"),
        (_num(s.rollout_duration_s, " s"), f"rollout duration ({s.rollout_basis})"),
        (escape(versions), "model versions seen"),
    ]
    items = "".join(f'<div class="card"><b>{v}</b><span>{escape(k)}</span></div>' for v, k in cards)
    return f'<div class="cards">{items}</div>'


def _gates_table(report: RolloutReport) -> str:
    rows = "".join(
        f'<tr class="gate-{"pass" if g.passed else "fail"}"><th scope="row">{escape(g.name)}</th>'
        f'<td class="state">{"PASS" if g.passed else "FAIL"}</td>'
        f"<td>{_num(g.measured, ' ' + g.unit, 0 if g.unit == 'requests' else 2)}</td>"
        f"<td>{g.threshold:g} {escape(g.unit)}</td>"
        f"<td>{escape(g.reason)}</td></tr>"
        for g in report.gates
    )
    head = _head("gate", "result", "measured", "limit", "why")
    return f"<table><caption>SLO gates</caption>{head}{rows}</table>"


def _events_table(report: RolloutReport) -> str:
    if not report.run.events:
        return "<p class='sub'>No deployment events were collected.</p>"
    rows = "".join(
        f"<tr><th scope='row'>{label}</th><td>{report.since_start(e.at):.1f}s</td>"
        f"<td>{escape(e.source)}</td><td>{escape(e.message)}</td></tr>"
        for label, e in numbered_events(report)
    )
    head = _head("#", "at", "source", "message")
    return (
        f"<table><caption>Deployment events, as marked on the charts</caption>{head}{rows}</table>"
    )


def _versions_table(report: RolloutReport) -> str:
    rows = "".join(
        f"<tr><th scope='row'>{escape(v.version)}</th><td>{v.responses:,}</td>"
        f"<td>{report.since_start(v.first):.1f}s</td><td>{report.since_start(v.last):.1f}s</td></tr>"
        for v in report.summary.versions
    )
    head = _head("version", "responses", "first", "last")
    return f"<table><caption>Model versions that answered</caption>{head}{rows}</table>"


def _parameters(report: RolloutReport) -> str:
    run = report.run
    items = {"target": run.target_url, **run.parameters}
    cells = "".join(
        f"<tr><th scope='row'>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>"
        for k, v in items.items()
    )
    return f"<table><caption>Run parameters</caption>{cells}</table>"


def _head(*columns: str) -> str:
    return "<tr>" + "".join(f'<th scope="col">{escape(c)}</th>' for c in columns) + "</tr>"


def _errors_table(report: RolloutReport) -> str:
    groups = error_breakdown(report.run.records)
    if not groups:
        return "<p class='sub'>No request failed.</p>"
    rows = "".join(
        f"<tr><th scope='row'>{g.status or 'no answer'}</th><td>{escape(g.endpoint)}</td>"
        f"<td>{escape(g.task_id)}</td><td>{g.count:,}</td>"
        f"<td>{report.since_start(g.first_at):.1f}s</td><td>{escape(g.first_error)}</td></tr>"
        for g in groups
    )
    head = _head("status", "endpoint", "task", "failed", "first at", "first example")
    caption = "Failed requests by status, endpoint and task, with the first of each"
    return f"<table id='errors'><caption>{caption}</caption>{head}{rows}</table>"


def render_html(report: RolloutReport, title: str = "Drydock rollout under load") -> str:
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(report.run.started_at))
    body = "".join(
        [
            f"<h1>{escape(title)}</h1>",
            f"<div class='sub'>{escape(report.run.target_url)} · started {started} · "
            f"{report.summary.duration_s:.0f} s of load</div>",
            "<div class='sub links'>Data: <a href='report.json'>report.json</a>"
            "<a href='requests.csv'>requests.csv</a> (every request)</div>",
            _verdict(report),
            _cards(report),
            "<h2>Gates</h2>",
            _gates_table(report),
            "<h2>Over time</h2>",
            "<div class='sub'>Dashed lines: T = deployment triggered; numbers = deployment "
            "events (listed below; hover a label for its message; 3-7 marks events too close "
            "to label apart). Hover a chart for values, drag across it to zoom into that time "
            "range, double-click or Escape to show all. Showing: <span id='zoom-range'>whole "
            "run</span> <button id='zoom-reset' type='button' hidden>Show all</button></div>",
            *charts(report),
            "<h2>Errors</h2>",
            _errors_table(report),
            "<h2>Deployment events</h2>",
            _events_table(report),
            "<h2>Model versions</h2>",
            _versions_table(report),
            "<h2>Parameters</h2>",
            _parameters(report),
            _interaction(report),
        ]
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>\n"
    )
