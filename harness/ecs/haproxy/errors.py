"""What can go wrong driving HAProxy. None of these reach an API client.

The ELBv2 API's errors come from the control plane (``harness.ecs.control_plane.errors``),
which judged the input before anything reached HAProxy; these say that the driver was
used wrongly or that HAProxy itself failed. They are ``DrydockError``s, so the CLI
prints them as one line.
"""

from __future__ import annotations

from harness.errors import DrydockError


class HaproxyError(DrydockError):
    """Something the HAProxy driver could not do."""


class UnknownBackendError(HaproxyError):
    """No backend of that name was added."""


class BackendConflictError(HaproxyError):
    """A backend of that name exists with other settings."""


class ServerStateError(HaproxyError):
    """A server is not in the state the call needs (added twice, not added, not draining)."""


class InvalidFrontendError(HaproxyError):
    """A frontend port HAProxy cannot bind (out of range, or the Runtime API's)."""


class RuntimeApiError(HaproxyError):
    """HAProxy's Runtime API refused a command or could not be reached."""
