"""The registry password: random per emulator, kept beside the journal when there is one."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from harness.ecs.control_plane.ecr import RegistryCredentials
from harness.ecs.emulator.ecr_registry import PASSWORD_FILE, ecr_state
from harness.settings import DrydockSettings


def test_the_password_is_kept_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "state" / "registry-password"
    first = RegistryCredentials.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert RegistryCredentials.load_or_create(path) == first
    assert RegistryCredentials.generate() != first


def test_the_token_is_docker_logins_user_and_password() -> None:
    token = RegistryCredentials("s3cret").authorization_token()
    assert base64.b64decode(token) == b"AWS:s3cret"


def test_an_emulator_with_a_journal_keeps_its_password_across_restarts(tmp_path: Path) -> None:
    settings = DrydockSettings(registry_port=5999)
    journal = tmp_path / "journal.jsonl"
    first = ecr_state(settings, journal)
    assert (tmp_path / PASSWORD_FILE).exists()
    assert ecr_state(settings, journal).credentials == first.credentials
    assert ecr_state(settings).credentials != first.credentials
    assert first.proxy_endpoint == "http://127.0.0.1:5999"


def test_the_emulator_reaches_the_registry_where_settings_say() -> None:
    assert DrydockSettings(registry_port=5999).registry_api_url == "http://127.0.0.1:5999"
    in_compose = DrydockSettings(emulator_registry_url="http://registry:5000")
    assert in_compose.registry_api_url == "http://registry:5000"
    assert in_compose.registry_address == "127.0.0.1:5050"  # what clients push to


def test_a_registry_url_that_is_not_one_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="emulator_registry_url"):
        DrydockSettings(emulator_registry_url="registry:5000")
