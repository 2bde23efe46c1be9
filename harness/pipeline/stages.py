"""Run named stages with a live spinner, and keep their timings for the summary."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console


def _ignore(_: str) -> None:
    return None


@dataclass
class StageResult:
    name: str
    seconds: float = 0.0
    outcome: str = ""  # e.g. "built", "reused", "pushed"
    detail: str = ""
    #: A long step calls this to show what it is doing right now.
    progress: Callable[[str], None] = field(default=_ignore, repr=False)


@dataclass
class StageRun:
    """Stages run one after another; each shows its progress on one live status line."""

    console: Console = field(default_factory=Console)
    results: list[StageResult] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[StageResult]:
        started = time.monotonic()
        with self.console.status(f"[bold]{name}[/bold]") as status:

            def show(message: str) -> None:
                status.update(f"[bold]{name}[/bold]: {message[:110]}")

            result = StageResult(name, progress=show)
            try:
                yield result
            finally:
                result.seconds = time.monotonic() - started
        self.results.append(result)
        outcome = f" [dim]({result.outcome})[/dim]" if result.outcome else ""
        self.console.print(
            f"[green]✓[/green] {name}{outcome} [dim]{result.seconds:.1f}s[/dim]  {result.detail}"
        )

    @property
    def total_seconds(self) -> float:
        return sum(result.seconds for result in self.results)
