"""The report, opened in a real browser, shows a picture and not a blank page.

Needs Debian's ``chromium`` (``apt-get install -y chromium``). Without it this
test fails, on purpose: a report nobody can see is not tested.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.report.artifacts import write_report
from harness.report.gates import GateThresholds
from harness.report.rollout_report import analyse
from harness.report.screenshot import ScreenshotError, find_chromium, screenshot
from tests.report.png_pixels import colour_stats, decode_png
from tests.report.synthetic import synthetic_run


def test_headless_chromium_renders_a_non_blank_report(tmp_path: Path) -> None:
    try:
        find_chromium()
    except ScreenshotError as exc:
        pytest.fail(f"headless browser missing for the report screenshot test: {exc}")
    files = write_report(analyse(synthetic_run(), GateThresholds()), tmp_path)
    png = screenshot(files.html, tmp_path / "report.png", width=1100, height=1400)
    data = png.read_bytes()
    assert len(data) > 20_000, f"screenshot only {len(data)} bytes"
    width, height, _, _ = decode_png(data)
    assert (width, height) == (1100, 1400)
    colours, not_background = colour_stats(data)
    # A blank page has one colour; the report has text, charts, a red verdict, blue and orange.
    assert colours > 50, f"only {colours} colours: the page looks blank"
    assert not_background > 0.05, (
        f"only {not_background:.1%} of the page differs from its background"
    )
