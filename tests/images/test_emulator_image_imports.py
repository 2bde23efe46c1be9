"""The emulator image carries only docker/emulator/requirements.txt: `drydock emulator`
must start without the model, serving, S3-client and load-test dependencies."""

from __future__ import annotations

import subprocess
import sys

NOT_IN_THE_EMULATOR_IMAGE = ("sklearn", "numpy", "locust", "localstack_client", "flask", "serving")


def test_the_emulator_command_imports_with_only_its_image_requirements() -> None:
    blocked = "; ".join(f"sys.modules[{name!r}] = None" for name in NOT_IN_THE_EMULATOR_IMAGE)
    script = (
        f"import sys; {blocked}; "
        "import harness.cli, harness.ecs.emulator.emulator; "
        "from click.testing import CliRunner; "
        "result = CliRunner().invoke(harness.cli.main, ['emulator', '--help']); "
        "assert result.exit_code == 0, result.output"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
