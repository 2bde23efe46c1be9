"""gunicorn's entry point (``serving.wsgi:app``): the settings, the model, or a one-line exit.

With ``preload_app`` gunicorn imports this module once in the master, before
forking workers: the model is loaded and checked once, workers share its memory
copy-on-write, and a model that fails a check stops the master itself. gunicorn
would print a traceback for an exception here; an expected failure instead
prints one line naming the reason and the URI, and exits non-zero, which is
what the ECS deployment circuit breaker and a human both need to see.

``python -m serving.wsgi`` loads the model the same way and exits 0: a check
that a model would serve, without binding a port.
"""

from __future__ import annotations

import sys
from typing import NoReturn

from flask import Flask
from pydantic import ValidationError

from serving.app import create_app
from serving.errors import ModelLoadError
from serving.settings import describe_invalid_settings, settings_from_env

PROG = "drydock-serving"
EXIT_INVALID_SETTINGS = 2
EXIT_MODEL_NOT_LOADED = 3


def fail(exit_code: int, message: str) -> NoReturn:
    """Print one line and leave; SystemExit passes through gunicorn's arbiter untouched."""
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)
    raise SystemExit(exit_code)


def load_application() -> Flask:
    try:
        settings = settings_from_env()
    except ValidationError as exc:
        fail(EXIT_INVALID_SETTINGS, describe_invalid_settings(exc))
    uri = settings.model_uri or "(DRYDOCK_MODEL_URI unset)"
    try:
        return create_app(settings)
    except ModelLoadError as exc:
        fail(EXIT_MODEL_NOT_LOADED, f"cannot load model {uri}: {exc}")


app = load_application()

if __name__ == "__main__":
    from serving.state import EXTENSION_KEY

    model = app.extensions[EXTENSION_KEY].model
    print(f"{PROG}: model {model.name} version {model.version} loads and predicts")
