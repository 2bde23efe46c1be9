"""What every ``drydock`` command shares: the consoles, settings, one-line errors."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
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


def endpoint_url_option(service: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--endpoint-url``, spelled as the AWS CLI spells it, for every command that calls AWS.

    Unset, the AWS conventions (``AWS_ENDPOINT_URL_<SERVICE>``, ``AWS_ENDPOINT_URL``, the
    profile) and then the local cloud decide; ``''`` means AWS's own endpoint.
    """
    return click.option(
        "--endpoint-url",
        "endpoint_url",
        default=None,
        help=f"The {service} API (default: AWS_ENDPOINT_URL_{service.upper()} or "
        "AWS_ENDPOINT_URL, else the local cloud; '' for AWS itself).",
    )
