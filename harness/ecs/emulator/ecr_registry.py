"""ECR's state for a running emulator: the real registry behind it, a kept password.

The password lives beside the journal (the emulator's state volume in compose), so a
restarted emulator hands out the same one, and the registry's htpasswd file is written
there from it (the registry requires it; see :mod:`.registry_htpasswd`). Without a
journal it lasts as long as the process, unless the caller passes the password of the
registry it works with (the scenario kit's emulators use the local cloud's).
"""

from __future__ import annotations

from pathlib import Path

from harness.ecs.control_plane.ecr import EcrState, RegistryCredentials
from harness.ecs.control_plane.ecr.credentials import USER
from harness.ecs.emulator.registry_htpasswd import HTPASSWD_FILE, write_htpasswd
from harness.ecs.runtime.registry_api import RegistryApi
from harness.settings import DrydockSettings

PASSWORD_FILE = "registry-password"


def registry_credentials(journal: Path | None = None) -> RegistryCredentials:
    """The kept password (and its htpasswd file) beside ``journal``; a new one without."""
    if journal is None:
        return RegistryCredentials.generate()
    credentials = RegistryCredentials.load_or_create(journal.with_name(PASSWORD_FILE))
    write_htpasswd(journal.with_name(HTPASSWD_FILE), credentials)
    return credentials


def ecr_state(
    settings: DrydockSettings,
    journal: Path | None = None,
    credentials: RegistryCredentials | None = None,
) -> EcrState:
    """``credentials``: the registry's password when the caller has it; else kept beside
    ``journal`` (:func:`registry_credentials`)."""
    credentials = credentials or registry_credentials(journal)
    return EcrState(
        registry=RegistryApi(settings.registry_api_url, auth=(USER, credentials.password)),
        registry_address=settings.registry_address,
        credentials=credentials,
    )
