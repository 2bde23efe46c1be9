"""The soak run uses the scenario kit's fixtures (the ``drydock`` pytest plugin)."""

from __future__ import annotations

from harness.testing.cloud import testcontainers_defaults

testcontainers_defaults()
