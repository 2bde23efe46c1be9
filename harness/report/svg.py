"""Time charts as inline SVG: the report stays one file that needs no network.

Hand-written SVG instead of a plotting library: the charts are simple (lines,
stacked bars, vertical event marks), the output is small and crisp at any
zoom, text stays selectable, and the project needs no extra dependency.
Every chart shares the same x axis (seconds since the load started), so the
charts stacked on the page line up and an event mark sits at the same place
in each.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 960
HEIGHT = 190
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 26, 30
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Series:
    """One line: a value per second (``None`` where nothing was measured)."""

    name: str
    color: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Marker:
    """A vertical line at ``second`` with a short ``label`` and a hover ``title``."""

    second: float
    label: str
    title: str
    color: str = "#555"


def nice_step(span: float, ticks: int = 4) -> float:
    """A 1, 2 or 5 times a power of ten step giving about ``ticks`` intervals."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.2g}"


class _Frame:
    """Maps seconds and values to pixels and draws axes, grid and markers."""

    def __init__(self, seconds: int, y_max: float) -> None:
        self.seconds = max(seconds, 1)
        self.y_step = nice_step(y_max if y_max > 0 else 1.0)
        self.y_max = max(self.y_step, math.ceil((y_max or 1.0) / self.y_step) * self.y_step)

    def x(self, second: float) -> float:
        return LEFT + PLOT_W * min(max(second, 0.0), self.seconds) / self.seconds

    def y(self, value: float) -> float:
        return TOP + PLOT_H * (1 - min(value, self.y_max) / self.y_max)

    def axes(self, title: str, unit: str) -> list[str]:
        parts = [
            f'<text x="{LEFT}" y="16" class="title">{escape(title)}</text>',
            f'<rect x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" class="plot"/>',
        ]
        tick = 0.0
        while tick <= self.y_max + 1e-9:
            y = self.y(tick)
            parts.append(
                f'<line x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            )
            parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="ytick">{_fmt(tick)}</text>')
            tick += self.y_step
        parts.append(
            f'<text x="12" y="{TOP + PLOT_H / 2:.0f}" class="unit" '
            f'transform="rotate(-90 12 {TOP + PLOT_H / 2:.0f})">{escape(unit)}</text>'
        )
        x_step = max(1, int(nice_step(self.seconds, 8)))
        for second in range(0, self.seconds + 1, x_step):
            x = self.x(second)
            parts.append(
                f'<text x="{x:.1f}" y="{TOP + PLOT_H + 16}" class="xtick">{second}s</text>'
            )
        return parts

    def markers(self, markers: Sequence[Marker]) -> list[str]:
        """Dashed vertical lines; labels of close marks step down so they stay readable."""
        parts: list[str] = []
        label_ends: list[float] = []  # per label row, where its last label ends
        for marker in sorted(markers, key=lambda m: m.second):
            x = self.x(marker.second)
            row = next((i for i, end in enumerate(label_ends) if x > end), len(label_ends))
            if row == len(label_ends):
                label_ends.append(0.0)
            label_ends[row] = x + 4 + 7 * len(marker.label)
            parts.append(
                f'<g class="marker"><title>{escape(marker.title)}</title>'
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{TOP + PLOT_H}" '
                f'stroke="{marker.color}"/>'
                f'<text x="{x + 3:.1f}" y="{TOP + 10 + 12 * min(row, 5)}" fill="{marker.color}">'
                f"{escape(marker.label)}</text></g>"
            )
        return parts


def _svg(parts: list[str], legend: list[tuple[str, str]]) -> str:
    x = WIDTH - RIGHT
    items: list[str] = []
    for name, color in reversed(legend):
        x -= 14 + 7 * len(name) + 12
        items.append(
            f'<rect x="{x}" y="7" width="10" height="10" fill="{color}"/>'
            f'<text x="{x + 14}" y="16" class="legend">{escape(name)}</text>'
        )
    body = "".join(parts + items)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img">{body}</svg>'
    )


def _polylines(frame: _Frame, series: Series) -> list[str]:
    """One polyline per unbroken run of values; points sit mid-second."""
    runs: list[list[str]] = [[]]
    for second, value in enumerate(series.values):
        if value is None:
            runs.append([])
            continue
        runs[-1].append(f"{frame.x(second + 0.5):.1f},{frame.y(value):.1f}")
    out = []
    for points in runs:
        if len(points) == 1:
            x, y = points[0].split(",")
            out.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="{series.color}"/>')
        elif points:
            out.append(
                f'<polyline points="{" ".join(points)}" fill="none" '
                f'stroke="{series.color}" stroke-width="2"/>'
            )
    return out


def line_chart(
    title: str, unit: str, series: Sequence[Series], seconds: int, markers: Sequence[Marker]
) -> str:
    """Several per-second series on one axis, with the event marks."""
    peak = max((v for s in series for v in s.values if v is not None), default=0.0)
    frame = _Frame(seconds, peak * 1.1)
    parts = frame.axes(title, unit)
    for one in series:
        parts += _polylines(frame, one)
    parts += frame.markers(markers)
    return _svg(parts, [(s.name, s.color) for s in series])


def stacked_share_chart(
    title: str,
    counts: Sequence[dict[str, int]],
    colors: dict[str, str],
    markers: Sequence[Marker],
) -> str:
    """Per second, each version's share of the answers, stacked to 100 %.

    Seconds with no answers stay empty rather than pretending to a share.
    """
    frame = _Frame(len(counts), 100.0)
    frame.y_step, frame.y_max = 25.0, 100.0
    parts = frame.axes(title, "% of responses")
    for second, bucket in enumerate(counts):
        total = sum(bucket.values())
        if not total:
            continue
        x0, x1 = frame.x(second), frame.x(second + 1)
        below = 0.0
        for version in colors:
            share = 100.0 * bucket.get(version, 0) / total
            if share <= 0:
                continue
            top, bottom = frame.y(below + share), frame.y(below)
            parts.append(
                f'<rect x="{x0:.1f}" y="{top:.1f}" width="{x1 - x0 + 0.3:.1f}" '
                f'height="{bottom - top:.1f}" fill="{colors[version]}" '
                'shape-rendering="crispEdges">'
                f"<title>{second}s: version {escape(version)} {share:.0f}%</title></rect>"
            )
            below += share
    parts += frame.markers(markers)
    return _svg(parts, list(colors.items()))
