"""ECR's state for a running emulator: the real registry behind it, a kept password.

The password lives beside the journal (the emulator's state volume in compose), so a
restarted emulator hands out the same one; without a journal it lasts as long as the
process.
"""

from __future__ import annotations

from pathlib import Path

from harness.ecs.control_plane.ecr import EcrState, RegistryCredentials
from harness.ecs.runtime.registry_api import RegistryApi
from harness.settings import DrydockSettings

PASSWORD_FILE = "registry-password"


def ecr_state(settings: DrydockSettings, journal: Path | None = None) -> EcrState:
    credentials = (
        RegistryCredentials.load_or_create(journal.with_name(PASSWORD_FILE))
        if journal is not None
        else RegistryCredentials.generate()
    )
    return EcrState(
        registry=RegistryApi(settings.registry_api_url),
        registry_address=settings.registry_address,
        credentials=credentials,
    )
