"""The pipelines as one self-contained HTML page: history, jobs, durations, and the
failing job's log tail, so "what broke and why" needs no terminal.

Inline CSS only, nothing fetched (opens offline, attachable to a ticket), written like
the load-test report (``harness/report/html.py``) and checked the same way in headless
Chromium.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from harness.ci.records import PipelineRecord
from harness.ci.store import PipelineNotFoundError, PipelineStore

LOG_TAIL_LINES = 25

STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;color:#222;
background:#fafafa;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}.sub{color:#666;font-size:13px}
table{border-collapse:collapse;background:#fff;font-size:13px;width:100%;margin:14px 0}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
.status{font-weight:600;border-radius:4px;padding:1px 6px;color:#fff;white-space:nowrap}
.success{background:#2e7d32}.failed{background:#c62828}.running{background:#1565c0}
.pending,.created{background:#757575}.canceled,.skipped{background:#9e9e9e}.manual{background:#6d4c41}
.jobs{display:flex;flex-wrap:wrap;gap:6px}
.job{border:1px solid #ddd;border-radius:4px;padding:2px 6px;background:#fff;font-size:12px}
.job b{display:block}
pre{background:#1e1e1e;color:#eee;padding:8px;border-radius:4px;font-size:12px;overflow-x:auto;
white-space:pre-wrap;margin:6px 0 0}
code{font-size:12px}
"""


def _status(status: str) -> str:
    return f'<span class="status {escape(status)}">{escape(status)}</span>'


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f} s"


def _jobs(record: PipelineRecord) -> str:
    cells = [
        f'<div class="job"><b>{escape(job.name)}</b>'
        f"{'' if job.stage == job.name else escape(job.stage) + ' · '}{_status(job.status)}"
        f" {_seconds(job.duration_s)}</div>"
        for job in record.jobs
    ]
    return f'<div class="jobs">{"".join(cells)}</div>'


def _failure(store: PipelineStore, record: PipelineRecord) -> str:
    failed = next((j for j in record.jobs if j.status == "failed"), None)
    if failed is None:
        return f"<div>{escape(record.message)}</div>" if record.message else ""
    try:
        lines = store.read_log(record.id, failed.name).splitlines()
    except PipelineNotFoundError:
        lines = ["(no log kept)"]
    tail = "\n".join(lines[-LOG_TAIL_LINES:])
    return (
        f"<div>{escape(record.message)}; last {min(len(lines), LOG_TAIL_LINES)} lines of "
        f"<code>drydock pipelines logs {record.id} {escape(failed.name)}</code>:</div>"
        f'<pre class="log-tail">{escape(tail)}</pre>'
    )


def render_page(store: PipelineStore, records: list[PipelineRecord]) -> str:
    rows = "".join(
        f'<tr id="pipeline-{r.id}"><td>#{r.id}</td><td>{escape(r.repo)}</td>'
        f"<td><code>{escape(r.sha[:12])}</code><br>{escape(r.ref.removeprefix('refs/heads/'))}</td>"
        f"<td>{escape(r.pushed_by)}<br>{r.pushed_at:%Y-%m-%d %H:%M:%S}</td>"
        f"<td>{_status(r.status)}<br>{_seconds(r.duration_s)}</td>"
        f"<td>{_jobs(r)}{_failure(store, r)}</td></tr>"
        for r in records
    )
    counts = {s: sum(r.status == s for r in records) for s in ("success", "failed", "running")}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no pipelines yet"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Drydock pipelines</title>"
        f"<style>{STYLE}</style></head><body><h1>Pipelines</h1>"
        f'<div class="sub">{len(records)} pipelines, newest first: {summary}</div>'
        "<table><thead><tr><th>id</th><th>repository</th><th>commit</th><th>pushed</th>"
        f"<th>status</th><th>jobs</th></tr></thead><tbody>{rows}</tbody></table></body></html>"
    )


def write_page(store: PipelineStore, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_page(store, store.all()))
    return path
