"""Expected failures, each one carrying a message a user can act on.

The CLI prints ``DrydockError`` as one line and exits non-zero; anything else is
a bug and keeps its traceback.
"""

from __future__ import annotations


class DrydockError(Exception):
    """A failure the user can fix; the message says what was wrong and what to do."""

    exit_code = 1


class DockerUnavailableError(DrydockError):
    pass


class PortInUseError(DrydockError):
    pass


class StackUnhealthyError(DrydockError):
    pass


class ImageBuildError(DrydockError):
    pass


class RegistryError(DrydockError):
    pass


class ModelVersionExistsError(DrydockError):
    pass


class ModelArtifactError(DrydockError):
    """A model file or manifest that is missing, unreadable or inconsistent."""


class BucketMissingError(DrydockError):
    pass


class ServingError(DrydockError):
    """The serving container did not start or did not answer as it should."""
