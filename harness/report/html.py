"""The rollout report as one self-contained HTML page.

Everything is inline (CSS and SVG), nothing is fetched: the file can be mailed,
attached to a CI run or opened offline. Read from the top, the page answers
"did the rollout hurt clients?" first (verdict and gates), then shows when and
how (charts with the deployment events marked), then the details.
"""

from __future__ import annotations

import time
from html import escape

from harness.report.rollout_report import RolloutReport
from harness.report.run import DeploymentEvent
from harness.report.svg import Marker, Series, line_chart, stacked_share_chart
from harness.report.timeline import NO_VERSION, version_order

VERSION_COLORS = ("#2f6fdf", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#9c755f")
NONE_COLOR = "#bbbbbb"
TRIGGER_COLOR = "#111111"
EVENT_COLOR = "#8a5a00"

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
svg .marker line{stroke-dasharray:4 3;stroke-width:1.5}
svg .marker text{font-size:11px;font-weight:600}
"""


def _num(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{unit}"


def numbered_events(report: RolloutReport) -> list[tuple[str, DeploymentEvent]]:
    """Each event with its label on the charts: ``T`` for the trigger, 1, 2, ... for ECS's."""
    labelled: list[tuple[str, DeploymentEvent]] = []
    number = 0
    for event in report.run.events:
        if event.source == "trigger":
            labelled.append(("T", event))
        else:
            number += 1
            labelled.append((str(number), event))
    return labelled


def _markers(report: RolloutReport) -> list[Marker]:
    return [
        Marker(
            second=report.since_start(event.at),
            label=label,
            title=f"{report.since_start(event.at):.1f}s {event.message}",
            color=TRIGGER_COLOR if event.source == "trigger" else EVENT_COLOR,
        )
        for label, event in numbered_events(report)
    ]


def version_colors(report: RolloutReport) -> dict[str, str]:
    versions = version_order(report.timeline)
    named = [v for v in versions if v != NO_VERSION]
    colors = {v: VERSION_COLORS[i % len(VERSION_COLORS)] for i, v in enumerate(named)}
    if NO_VERSION in versions:
        colors[NO_VERSION] = NONE_COLOR
    return colors


def charts(report: RolloutReport) -> list[str]:
    """The four time charts, sharing one x axis and the same event marks."""
    buckets = report.timeline
    seconds = len(buckets)
    markers = _markers(report)
    traffic = line_chart(
        "Requests and errors per second",
        "per second",
        [
            Series("requests/s", "#2f6fdf", [b.requests for b in buckets]),
            Series("errors/s", "#d62728", [b.errors for b in buckets]),
        ],
        seconds,
        markers,
    )
    latency = line_chart(
        "Latency per second",
        "ms",
        [
            Series("p50", "#17a589", [b.p50_ms for b in buckets]),
            Series("p99", "#8e44ad", [b.p99_ms for b in buckets]),
        ],
        seconds,
        markers,
    )
    share = stacked_share_chart(
        "Share of responses by model version (X-Model-Version)",
        [b.versions for b in buckets],
        version_colors(report),
        markers,
    )
    return [traffic, latency, share]


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
        f'<tr class="gate-{"pass" if g.passed else "fail"}"><td>{escape(g.name)}</td>'
        f'<td class="state">{"PASS" if g.passed else "FAIL"}</td>'
        f"<td>{_num(g.measured, ' ' + g.unit, 0 if g.unit == 'requests' else 2)}</td>"
        f"<td>{g.threshold:g} {escape(g.unit)}</td>"
        f"<td>{escape(g.reason)}</td></tr>"
        for g in report.gates
    )
    head = "<tr><th>gate</th><th>result</th><th>measured</th><th>limit</th><th>why</th></tr>"
    return f"<table>{head}{rows}</table>"


def _events_table(report: RolloutReport) -> str:
    if not report.run.events:
        return "<p class='sub'>No deployment events were collected.</p>"
    rows = "".join(
        f"<tr><td>{label}</td><td>{report.since_start(e.at):.1f}s</td>"
        f"<td>{escape(e.source)}</td><td>{escape(e.message)}</td></tr>"
        for label, e in numbered_events(report)
    )
    return f"<table><tr><th>#</th><th>at</th><th>source</th><th>message</th></tr>{rows}</table>"


def _versions_table(report: RolloutReport) -> str:
    rows = "".join(
        f"<tr><td>{escape(v.version)}</td><td>{v.responses:,}</td>"
        f"<td>{report.since_start(v.first):.1f}s</td><td>{report.since_start(v.last):.1f}s</td></tr>"
        for v in report.summary.versions
    )
    head = "<tr><th>version</th><th>responses</th><th>first</th><th>last</th></tr>"
    return f"<table>{head}{rows}</table>"


def _parameters(report: RolloutReport) -> str:
    run = report.run
    items = {"target": run.target_url, **run.parameters}
    cells = "".join(
        f"<tr><td>{escape(str(k))}</td><td>{escape(str(v))}</td></tr>" for k, v in items.items()
    )
    return f"<table>{cells}</table>"


def render_html(report: RolloutReport, title: str = "Drydock rollout under load") -> str:
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(report.run.started_at))
    body = "".join(
        [
            f"<h1>{escape(title)}</h1>",
            f"<div class='sub'>{escape(report.run.target_url)} · started {started} · "
            f"{report.summary.duration_s:.0f} s of load</div>",
            _verdict(report),
            _cards(report),
            "<h2>Gates</h2>",
            _gates_table(report),
            "<h2>Over time</h2>",
            "<div class='sub'>Dashed lines: T = deployment triggered; numbers = deployment "
            "events (listed below; hover a line for its message).</div>",
            *charts(report),
            "<h2>Deployment events</h2>",
            _events_table(report),
            "<h2>Model versions</h2>",
            _versions_table(report),
            "<h2>Parameters</h2>",
            _parameters(report),
        ]
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>\n"
    )
