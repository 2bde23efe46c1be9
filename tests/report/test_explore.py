"""The report explored in headless Chromium: hover, the shared crosshair, zoom, a picture.

Real pointer events through the DevTools protocol (``tests/report/browser.py``).
Needs Debian's ``chromium``, like the screenshot test; without it this fails on purpose.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.report.artifacts import write_report
from harness.report.gates import GateThresholds
from harness.report.rollout_report import analyse
from tests.report.browser import HeadlessPage
from tests.report.png_pixels import colour_stats, decode_png
from tests.report.synthetic import ERRORS_AT_S, SECONDS, synthetic_run

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def page(tmp_path: Path) -> Any:
    files = write_report(analyse(synthetic_run(), GateThresholds()), tmp_path)
    with HeadlessPage(files.html) as opened:
        opened.evaluate("window.scrollTo(0, 0)")
        yield opened


def plot_box(page: HeadlessPage, chart: str) -> dict[str, float]:
    """The chart's plot area in page (viewport) pixels."""
    return dict(
        page.evaluate(
            f"(() => {{ const r = document.querySelector('#{chart} .hit')"
            ".getBoundingClientRect(); return {left: r.left, top: r.top, width: r.width,"
            " height: r.height}; })()"
        )
    )


def at_second(box: dict[str, float], second: float, seconds: float = SECONDS) -> float:
    return box["left"] + box["width"] * second / seconds


def crosshairs(page: HeadlessPage) -> list[float | None]:
    return list(
        page.evaluate(
            "[...document.querySelectorAll('svg.chart .crosshair')].map(l =>"
            " l.getAttribute('visibility') === 'visible' ? l.getBoundingClientRect().left : null)"
        )
    )


def test_hover_shows_time_and_each_series_and_lines_up_all_three_charts(
    page: HeadlessPage,
) -> None:
    box = plot_box(page, "chart-traffic")
    x = at_second(box, ERRORS_AT_S + 0.5)
    page.mouse("mouseMoved", x, box["top"] + box["height"] / 2)
    tip = page.evaluate("document.getElementById('chart-tooltip').innerText")
    assert f"{ERRORS_AT_S}-{ERRORS_AT_S + 1} s" in tip
    assert "requests/s\t20" in tip and "errors/s\t3" in tip, tip
    lines = crosshairs(page)
    assert len(lines) == 3 and None not in lines
    assert max(lines) - min(lines) < 1.5  # type: ignore[operator]
    assert abs(lines[0] - x) < box["width"] / SECONDS  # type: ignore[operator]

    latency = plot_box(page, "chart-latency")
    page.mouse("mouseMoved", at_second(latency, 2.5), latency["top"] + 5)
    tip = page.evaluate("document.getElementById('chart-tooltip').innerText")
    assert "2-3 s" in tip and "p50\t" in tip and "p99\t" in tip and "ms" in tip

    page.mouse("mouseMoved", 5, 5)  # off the charts: the hover goes away
    assert page.evaluate("document.getElementById('chart-tooltip').hidden") is True
    assert crosshairs(page) == [None, None, None]


def test_dragging_zooms_every_chart_into_that_time_range(page: HeadlessPage) -> None:
    box = plot_box(page, "chart-share")
    y = box["top"] + box["height"] / 2
    page.mouse("mouseMoved", at_second(box, 10), y)
    page.mouse("mousePressed", at_second(box, 10), y, buttons=1)
    page.mouse("mouseMoved", at_second(box, 20), y, buttons=1)
    page.mouse("mouseReleased", at_second(box, 20), y)
    view = page.evaluate("window.drydockReport.view")
    assert view["from"] == pytest.approx(10, abs=0.2) and view["to"] == pytest.approx(20, abs=0.2)
    assert page.evaluate("document.getElementById('zoom-range').textContent").startswith("10.")
    # Every chart's x axis now spans the range, and the trigger mark (8 s) is out of view.
    ticks = page.evaluate(
        "[...document.querySelectorAll('#chart-latency .xtick')].map(t => t.textContent)"
    )
    assert ticks[0] in ("10s", "12s") and ticks[-1] in ("18s", "20s")
    hidden = page.evaluate(
        "[...document.querySelectorAll('#chart-traffic .marker-label')]"
        ".filter(l => l.getAttribute('visibility') === 'hidden').map(l => l.lastChild.textContent)"
    )
    assert "T" in hidden and "1" not in hidden
    # Hovering past the plot's middle now reads 15.5 s of the range, not 16.5 s of the run.
    traffic = plot_box(page, "chart-traffic")
    page.mouse("mouseMoved", traffic["left"] + traffic["width"] * 0.55, traffic["top"] + 5)
    assert "15-16 s" in page.evaluate("document.getElementById('chart-tooltip').innerText")
    page.evaluate("document.getElementById('zoom-reset').click()")
    assert page.evaluate("window.drydockReport.view") == {"from": 0, "to": SECONDS}


def test_the_explored_page_is_a_picture_not_a_blank(page: HeadlessPage) -> None:
    box = plot_box(page, "chart-traffic")
    page.mouse("mouseMoved", at_second(box, ERRORS_AT_S + 0.5), box["top"] + 20)
    png = page.screenshot()
    width, height, _, _ = decode_png(png)
    assert width == 1100 and height > 1000  # the viewport: the window less its frame
    colours, not_background = colour_stats(png)
    assert colours > 50 and not_background > 0.05
