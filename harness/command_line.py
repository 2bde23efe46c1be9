"""What every ``drydock`` command shares: the consoles, settings, one-line errors."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from harness.errors import DrydockError
from harness.settings import DrydockSettings

console = Console()
errors = Console(stderr=True)


def load_settings() -> DrydockSettings:
    """The settings, or one line naming the ``DRYDOCK_*`` variable that is wrong."""
    try:
        return DrydockSettings()
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "DRYDOCK_" + str(error["loc"][0]).upper()
        raise DrydockError(f"invalid setting {name}: {error['msg']}") from exc


def friendly_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Expected failures print one line and exit with their code; bugs keep tracebacks."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DrydockError as exc:
            # soft_wrap: one line whatever the terminal width, so logs and greps see it whole
            errors.print(
                f"[bold red]drydock: error:[/bold red] {escape(str(exc))}",
                highlight=False,
                soft_wrap=True,
            )
            sys.exit(exc.exit_code)

    return run
