"""The registry's htpasswd file, written from ECR's password."""

from __future__ import annotations

from pathlib import Path

import bcrypt

from harness.ecs.control_plane.ecr import RegistryCredentials
from harness.ecs.emulator.ecr_registry import registry_credentials
from harness.ecs.emulator.registry_htpasswd import (
    HTPASSWD_FILE,
    htpasswd_accepts,
    write_htpasswd,
)


def test_the_entry_is_user_aws_with_a_bcrypt_hash_of_the_password(tmp_path: Path) -> None:
    path = tmp_path / "htpasswd"
    assert write_htpasswd(path, RegistryCredentials("s3cret"))
    user, hashed = path.read_text().strip().split(":", 1)
    assert user == "AWS" and hashed.startswith("$2")
    assert bcrypt.checkpw(b"s3cret", hashed.encode())
    assert not bcrypt.checkpw(b"other", hashed.encode())


def test_a_file_that_already_verifies_the_password_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "htpasswd"
    write_htpasswd(path, RegistryCredentials("s3cret"))
    before = (path.read_text(), path.stat().st_mtime_ns)
    assert not write_htpasswd(path, RegistryCredentials("s3cret"))
    assert (path.read_text(), path.stat().st_mtime_ns) == before
    assert write_htpasswd(path, RegistryCredentials("rotated"))
    assert htpasswd_accepts(path.read_text(), RegistryCredentials("rotated"))
    assert not htpasswd_accepts(path.read_text(), RegistryCredentials("s3cret"))


def test_unreadable_entries_accept_nothing() -> None:
    credentials = RegistryCredentials("s3cret")
    assert not htpasswd_accepts("", credentials)
    assert not htpasswd_accepts("AWS:not-a-hash\n", credentials)
    assert not htpasswd_accepts("docker:$2y$05$abc\n", credentials)


def test_an_emulator_with_a_journal_writes_the_file_beside_it(tmp_path: Path) -> None:
    credentials = registry_credentials(tmp_path / "journal.jsonl")
    assert htpasswd_accepts((tmp_path / HTPASSWD_FILE).read_text(), credentials)
    assert registry_credentials(tmp_path / "journal.jsonl") == credentials
