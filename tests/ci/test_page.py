"""The pipelines page: history, jobs, durations, the failing job's log tail; and that a
real browser shows it (headless Chromium, like the load-test report)."""

from __future__ import annotations

from pathlib import Path

from harness.ci import records
from harness.ci.page import LOG_TAIL_LINES, render_page, write_page
from harness.ci.records import JobRecord, PipelineRecord, Push
from harness.ci.store import PipelineStore
from tests.report.browser import HeadlessPage

SHA = "c0ffee" + "0" * 34


def history(root: Path) -> PipelineStore:
    """Two pipelines: a green model one and a service one whose test job failed."""
    store = PipelineStore(root)
    store.ensure()
    good = PipelineRecord.from_push(Push(id=1, repo="model", sha=SHA, pushed_by="Ann <a@x>"))
    records.start(good, [JobRecord(name="train", stage="train")])
    records.start_job(good, "train")
    records.finish_job(good, "train", 0)
    store.save(good)
    bad = PipelineRecord.from_push(Push(id=2, repo="service", sha=SHA, pushed_by="<Bob>"))
    records.start(
        bad, [JobRecord(name="test", stage="test"), JobRecord(name="build", stage="build")]
    )
    records.start_job(bad, "test")
    log = store.log_path(2, "test")
    log.parent.mkdir(parents=True)
    log.write_text("".join(f"line {n}\n" for n in range(100)) + "E   assert 1 == 2\n")
    records.finish_job(bad, "test", 1)
    store.save(bad)
    return store


def test_the_page_shows_history_jobs_and_only_the_failing_logs_tail(tmp_path: Path) -> None:
    store = history(tmp_path)
    html = render_page(store, store.all())
    assert html.index('id="pipeline-2"') < html.index('id="pipeline-1"')  # newest first
    assert "E   assert 1 == 2" in html
    assert f"line {100 - LOG_TAIL_LINES + 1}\n" in html and "line 0\n" not in html
    assert "drydock pipelines logs 2 test" in html
    assert "&lt;Bob&gt;" in html and "<Bob>" not in html  # escaped
    assert html.count('class="status skipped"') == 1


def test_headless_chromium_shows_the_failed_pipeline_and_its_log_tail(tmp_path: Path) -> None:
    page_path = write_page(history(tmp_path), tmp_path / "pipelines.html")
    with HeadlessPage(page_path, width=1100, height=900, ready="!!document.body") as page:
        page.wait_for("document.querySelectorAll('tbody tr').length === 2")
        tail = page.evaluate("document.querySelector('pre.log-tail').innerText")
        assert tail.rstrip().endswith("E   assert 1 == 2")
        colour = page.evaluate(
            "getComputedStyle(document.querySelector('#pipeline-2 .status.failed')).backgroundColor"
        )
        assert colour == "rgb(198, 40, 40)"
        box = page.evaluate(
            "JSON.stringify(document.querySelector('pre.log-tail').getBoundingClientRect())"
        )
        assert '"height":0' not in box.replace(" ", "")
