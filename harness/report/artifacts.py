"""Write a run's artifacts: the HTML page, the JSON and every request as CSV.

The JSON holds what a program would want (summary, gates, events, per-second
series, parameters); the CSV holds every request so anything the page does not
show can still be worked out later.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.report.html import render_html
from harness.report.records import write_records
from harness.report.rollout_report import RolloutReport

HTML_NAME = "report.html"
JSON_NAME = "report.json"
CSV_NAME = "requests.csv"


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    json: Path
    csv: Path


def report_data(report: RolloutReport) -> dict[str, Any]:
    """The JSON document; times are epoch seconds plus ``t`` seconds since the start."""
    run = report.run
    return {
        "passed": report.passed,
        "failed_gates": [g.name for g in report.failed_gates],
        "target_url": run.target_url,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "trigger_at": run.trigger_at,
        "parameters": run.parameters,
        "summary": asdict(report.summary),
        "gates": [asdict(g) for g in report.gates],
        "events": [{**asdict(e), "t": report.since_start(e.at)} for e in run.events],
        "series": [asdict(b) for b in report.timeline],
    }


def write_report(report: RolloutReport, out_dir: Path) -> ReportFiles:
    out_dir.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(out_dir / HTML_NAME, out_dir / JSON_NAME, out_dir / CSV_NAME)
    files.html.write_text(render_html(report), encoding="utf-8")
    files.json.write_text(json.dumps(report_data(report), indent=2, default=str), encoding="utf-8")
    write_records(files.csv, report.run.records)
    return files
