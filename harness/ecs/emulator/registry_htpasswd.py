"""The registry's htpasswd file, made from the password GetAuthorizationToken hands out.

distribution's ``htpasswd`` auth reads bcrypt entries only. The emulator writes the file
beside its journal (the state volume, which compose mounts read-only into the
registry), before its API answers, so the registry, started after the emulator is
healthy, finds it. A file that already verifies the password is left alone: its
modification time is what distribution watches.
"""

from __future__ import annotations

import os
from pathlib import Path

import bcrypt

from harness.ecs.control_plane.ecr.credentials import USER, RegistryCredentials

HTPASSWD_FILE = "registry-htpasswd"


def htpasswd_entry(credentials: RegistryCredentials) -> str:
    hashed = bcrypt.hashpw(credentials.password.encode(), bcrypt.gensalt()).decode()
    return f"{USER}:{hashed}\n"


def htpasswd_accepts(text: str, credentials: RegistryCredentials) -> bool:
    """True when ``text`` has an entry for ``AWS`` that verifies the password."""
    for line in text.splitlines():
        user, _, hashed = line.strip().partition(":")
        if user == USER and hashed:
            try:
                return bcrypt.checkpw(credentials.password.encode(), hashed.encode())
            except ValueError:
                return False
    return False


def write_htpasswd(path: Path, credentials: RegistryCredentials) -> bool:
    """Make ``path`` accept ``credentials``; False when it already did (left untouched)."""
    if path.exists() and htpasswd_accepts(path.read_text(), credentials):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(path.name + ".new")
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(descriptor, "w") as out:
        out.write(htpasswd_entry(credentials))
    staged.replace(path)  # atomic: the registry never reads half a file
    return True
