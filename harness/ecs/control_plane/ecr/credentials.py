"""The registry password GetAuthorizationToken hands out, and the token built from it.

ECR's token is ``base64("AWS:<password>")``, valid 12 hours; ``docker login`` takes the
password (``aws ecr get-login-password``) and the user name ``AWS``. The password is a
random secret the emulator keeps, beside its journal when it has one, so a restarted
emulator hands out the same password and a registry made to require it (a token
server in front of distribution, not yet wired) keeps accepting logins made before.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

USER = "AWS"
TOKEN_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class RegistryCredentials:
    password: str

    @classmethod
    def generate(cls) -> RegistryCredentials:
        return cls(secrets.token_urlsafe(32))

    @classmethod
    def load_or_create(cls, path: Path) -> RegistryCredentials:
        """The password kept at ``path``; a new one (file mode 0600) when there is none."""
        if path.exists():
            kept = path.read_text().strip()
            if kept:
                return cls(kept)
        created = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(created.password + "\n")
        return created

    def authorization_token(self) -> str:
        return base64.b64encode(f"{USER}:{self.password}".encode()).decode()

    @staticmethod
    def expires_at(now: datetime) -> datetime:
        return now + TOKEN_LIFETIME
