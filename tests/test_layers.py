"""No import in the harness runs from a lower layer to a higher one.

The layers, lowest first: the foundations (settings, errors, the time scale, the AWS and
docker clients); the domain packages (model, images, report, the ECS emulator, whose
scheduler is pure); the flows that use them (stack, pipeline, loadtest); the front ends
(the CLI, the scenario kit). Checked on the source, so a new import that breaks the
picture fails here before anyone has to notice it in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[1] / "harness"

FOUNDATIONS = {"settings", "errors", "time_scale", "aws", "docker_engine", "command_line"}
DOMAIN = {"model", "images", "report", "ecs"}
FLOWS = {"stack", "pipeline", "loadtest", "ci"}
FRONT_ENDS = {"cli", "testing"}
LAYERS = [FOUNDATIONS, DOMAIN, FLOWS, FRONT_ENDS]


def layer_of(package: str) -> int:
    return next(i for i, members in enumerate(LAYERS) if package in members)


def harness_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # the full name of what is imported: ``from harness.ecs import events`` is events
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(n for n in names if n == "harness" or n.startswith("harness."))
    return found


def top_package(module: str) -> str:
    return module.split(".")[1]


SOURCES = sorted(p for p in HARNESS.rglob("*.py") if p.parent != HARNESS or p.stem != "__init__")


def test_every_top_level_package_has_a_layer() -> None:
    packages = {p.stem if p.parent == HARNESS else p.relative_to(HARNESS).parts[0] for p in SOURCES}
    assert packages <= set().union(*LAYERS), packages - set().union(*LAYERS)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(HARNESS)))
def test_imports_go_down_or_sideways_never_up(path: Path) -> None:
    own = path.stem if path.parent == HARNESS else path.relative_to(HARNESS).parts[0]
    upward = {
        module
        for module in harness_imports(path)
        if module != "harness" and layer_of(top_package(module)) > layer_of(own)
    }
    assert upward == set(), f"{own} (layer {layer_of(own)}) imports a higher layer: {upward}"


def test_the_report_never_imports_the_load_test() -> None:
    for path in (HARNESS / "report").rglob("*.py"):
        assert not any(m.startswith("harness.loadtest") for m in harness_imports(path)), path


def test_the_scheduler_is_pure_domain_logic() -> None:
    """It decides; it imports only the emulator's domain, events and the time scale."""
    allowed = (
        "harness.ecs.scheduler",
        "harness.ecs.domain",
        "harness.ecs.events",
        "harness.time_scale",
    )
    for path in (HARNESS / "ecs" / "scheduler").rglob("*.py"):
        for module in harness_imports(path):
            assert module.startswith(allowed), (path, module)
