"""The image's pins are the training host's pins: a model pickled there must load here."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: not an exact pin: {line!r}"
        found[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return found


def test_serving_requirements_are_exact_pins_equal_to_constraints() -> None:
    serving = pins(REPO / "serving" / "requirements.txt")
    constraints = pins(REPO / "constraints.txt")
    for name, version in serving.items():
        assert constraints.get(name) == version, f"{name}=={version} vs constraints.txt"
    for needed in (
        "scikit-learn",
        "numpy",
        "scipy",
        "joblib",
        "threadpoolctl",
        "flask",
        "werkzeug",
        "gunicorn",
        "boto3",
        "botocore",
        "s3transfer",
        "pydantic",
        "pydantic-settings",
        "skops",
        "prometheus-client",
    ):
        assert needed in serving, needed
    assert "pandas" not in serving
