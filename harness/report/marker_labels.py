"""Where the event marks' labels go so that no two ever overlap, however many events.

Labels sit in a few rows at the top of a chart. Each mark takes the first row where
its label fits to the right of the row's last label; when no row has room, it joins
the label placed last (the one holding the mark just before it), which then reads
``4-7``: the run of consecutive marks it stands for (each mark's line is still drawn,
and the label's hover text lists every event in it). Marks come sorted by time and
that label is the last in its row, so a label that grows only grows into free space.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

ROWS = 4
CHAR_W = 7.0  # px per character at the marker font size (11 px, bold)
PAD = 4.0


@dataclass
class PlacedLabel:
    """One label: at ``x`` in ``row``, standing for the marks at ``members`` (indexes)."""

    x: float
    row: int
    members: list[int] = field(default_factory=list)
    text: str = ""

    @property
    def end(self) -> float:
        return self.x + PAD + CHAR_W * len(self.text)


def place_labels(marks: Sequence[tuple[float, str]], rows: int = ROWS) -> list[PlacedLabel]:
    """``marks`` as (x in px, label), sorted by x; the labels to draw, none overlapping."""
    placed: list[PlacedLabel] = []
    last_in_row: list[PlacedLabel | None] = [None] * rows
    for index, (x, label) in enumerate(marks):
        free = next((r for r, last in enumerate(last_in_row) if last is None or x > last.end), None)
        if free is not None:
            new = PlacedLabel(x, free, [index], label)
            placed.append(new)
            last_in_row[free] = new
            continue
        group = placed[-1]
        group.members.append(index)
        group.text = f"{marks[group.members[0]][1]}-{label}"
    return placed
