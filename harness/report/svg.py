"""Time charts as inline SVG: the report stays one file that needs no network.

Hand-written SVG instead of a plotting library: the charts are simple (lines,
stacked bars, vertical event marks), the output is small and crisp at any
zoom, text stays selectable, and the project needs no extra dependency.
Every chart shares the same x axis (seconds since the load started), so the
charts stacked on the page line up and an event mark sits at the same place
in each.

Each chart carries the hooks ``explore.js`` needs to make it explorable (hover,
a crosshair shared by all charts, zoom into a time range): its plotted data in a
``g.zoom`` clipped to the plot, event labels and x ticks apart (they are redrawn,
not stretched, when zooming), a hidden crosshair and a hit area. Without script
the SVG is the same static picture. Charts are named (``title``/``desc``, role
``img``) and series differ by dash or hatching as well as colour.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from harness.report.marker_labels import place_labels

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
    dash: str = ""  # an SVG stroke-dasharray: series differ by more than colour


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
        parts.append('<g class="xticks">')
        for second in range(0, self.seconds + 1, x_step):
            x = self.x(second)
            parts.append(
                f'<text x="{x:.1f}" y="{TOP + PLOT_H + 16}" class="xtick">{second}s</text>'
            )
        parts.append("</g>")
        return parts

    def marker_lines(self, markers: Sequence[Marker]) -> list[str]:
        """Dashed vertical lines, one per event, with the event as hover text."""
        return [
            f'<line x1="{self.x(m.second):.1f}" x2="{self.x(m.second):.1f}" y1="{TOP}" '
            f'y2="{TOP + PLOT_H}" stroke="{m.color}" class="marker-line" '
            f'vector-effect="non-scaling-stroke"><title>{escape(m.title)}</title></line>'
            for m in markers
        ]

    def marker_labels(self, markers: Sequence[Marker]) -> list[str]:
        """Labels in rows that never overlap (close events share one ``3-7`` label)."""
        ordered = sorted(markers, key=lambda m: m.second)
        parts = ['<g class="marker-labels">']
        for label in place_labels([(self.x(m.second), m.label) for m in ordered]):
            first = ordered[label.members[0]]
            titles = "\n".join(ordered[i].title for i in label.members)
            parts.append(
                f'<text x="{label.x + 3:.1f}" y="{TOP + 10 + 12 * label.row}" '
                f'fill="{first.color}" class="marker-label" data-second="{first.second:.3f}">'
                f"<title>{escape(titles)}</title>{escape(label.text)}</text>"
            )
        parts.append("</g>")
        return parts


def chart_id(title: str) -> str:
    return "chart-" + (re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "x")


def _svg(
    cid: str,
    title: str,
    description: str,
    frame: _Frame,
    axes: list[str],
    data: list[str],
    markers: Sequence[Marker],
    legend: list[tuple[str, str, str]],
    defs: str = "",
) -> str:
    """The chart: named for screen readers, its data zoomable, a crosshair, a legend.

    ``legend`` is (name, colour, how it is drawn: a dasharray or a fill).
    """
    x = WIDTH - RIGHT
    items: list[str] = []
    for name, color, look in reversed(legend):
        x -= 14 + 7 * len(name) + 18
        if look.startswith(("url(", "#")):  # a fill: hatched or solid
            sample = f'<rect x="{x}" y="7" width="16" height="10" fill="{look}"/>'
        else:
            sample = (
                f'<line x1="{x}" x2="{x + 16}" y1="12" y2="12" stroke="{color}" '
                f'stroke-width="2.5" stroke-dasharray="{look}"/>'
            )
        items.append(f'{sample}<text x="{x + 20}" y="16" class="legend">{escape(name)}</text>')
    body = "".join(
        [
            f'<title id="{cid}-title">{escape(title)}</title>',
            f'<desc id="{cid}-desc">{escape(description)}</desc>',
            f'<defs><clipPath id="{cid}-clip"><rect x="{LEFT}" y="{TOP}" width="{PLOT_W}" '
            f'height="{PLOT_H}"/></clipPath>{defs}</defs>',
            *axes,
            f'<g clip-path="url(#{cid}-clip)"><g class="zoom">',
            *data,
            *frame.marker_lines(markers),
            "</g></g>",
            *frame.marker_labels(markers),
            f'<line class="crosshair" x1="0" x2="0" y1="{TOP}" y2="{TOP + PLOT_H}" '
            'visibility="hidden"/>',
            f'<rect class="selection" x="0" y="{TOP}" width="0" height="{PLOT_H}" '
            'visibility="hidden"/>',
            f'<rect class="hit" x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" '
            'fill="transparent"/>',
            *items,
        ]
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{cid}" class="chart" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" data-seconds="{frame.seconds}" '
        f'data-left="{LEFT}" data-plot-width="{PLOT_W}">{body}</svg>'
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
                f'stroke="{series.color}" stroke-width="2" stroke-dasharray="{series.dash}" '
                'vector-effect="non-scaling-stroke"/>'
            )
    return out


def line_chart(
    title: str,
    unit: str,
    series: Sequence[Series],
    seconds: int,
    markers: Sequence[Marker],
    cid: str | None = None,
) -> str:
    """Several per-second series on one axis, with the event marks."""
    peak = max((v for s in series for v in s.values if v is not None), default=0.0)
    frame = _Frame(seconds, peak * 1.1)
    data: list[str] = []
    for one in series:
        data += _polylines(frame, one)
    looks = ", ".join(f"{s.name} ({'dashed' if s.dash else 'solid'})" for s in series)
    description = f"Per second over {frame.seconds} s, in {unit}: {looks}."
    return _svg(
        cid or chart_id(title),
        title,
        description,
        frame,
        frame.axes(title, unit),
        data,
        markers,
        [(s.name, s.color, s.dash or "none") for s in series],
    )


def _hatch(cid: str, index: int, color: str) -> tuple[str, str]:
    """Every other version is hatched, so neighbours differ without colour too."""
    if index % 2 == 0:
        return "", color
    pid = f"{cid}-hatch-{index}"
    pattern = (
        f'<pattern id="{pid}" patternUnits="userSpaceOnUse" width="6" height="6" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{color}"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2.5"/></pattern>'
    )
    return pattern, f"url(#{pid})"


def stacked_share_chart(
    title: str,
    counts: Sequence[dict[str, int]],
    colors: dict[str, str],
    markers: Sequence[Marker],
    cid: str | None = None,
    configured: Series | None = None,
) -> str:
    """Per second, each version's share of the answers, stacked to 100 %.

    Seconds with no answers stay empty rather than pretending to a share. ``configured``
    (a traffic-shifting deployment's green weight per second) is drawn as a line at
    100 - weight: the newest version is stacked on top, so where its share should begin.
    """
    cid = cid or chart_id(title)
    frame = _Frame(len(counts), 100.0)
    frame.y_step, frame.y_max = 25.0, 100.0
    hatched = [_hatch(cid, i, c) for i, c in enumerate(colors.values())]
    patterns = [pattern for pattern, _ in hatched]
    fill = {version: look for version, (_, look) in zip(colors, hatched, strict=True)}
    data: list[str] = []
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
            data.append(
                f'<rect x="{x0:.1f}" y="{top:.1f}" width="{x1 - x0 + 0.3:.1f}" '
                f'height="{bottom - top:.1f}" fill="{fill[version]}" '
                'shape-rendering="crispEdges">'
                f"<title>{second}s: version {escape(version)} {share:.0f}%</title></rect>"
            )
            below += share
    names = ", ".join(
        f"{v} ({'hatched' if f.startswith('url(') else 'solid'})" for v, f in fill.items()
    )
    description = f"Per second over {frame.seconds} s, % of responses by version: {names}."
    legend = [(v, colors[v], fill[v]) for v in colors]
    if configured is not None:
        boundary = [None if w is None else 100.0 - w for w in configured.values]
        data.extend(_polylines(frame, Series(configured.name, configured.color, boundary,
                                             configured.dash)))  # fmt: skip
        legend.append((configured.name, configured.color, configured.dash or "1 0"))
        description += f" {configured.name}: a line where the newest version should begin."
    return _svg(
        cid,
        title,
        description,
        frame,
        frame.axes(title, "% of responses"),
        data,
        markers,
        legend,
        defs="".join(patterns),
    )
