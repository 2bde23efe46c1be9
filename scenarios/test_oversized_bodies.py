"""Bodies over the serving limit get 413 through the load balancer, never a dropped connection.

Issue 11: a 2.2 MB ``POST /predict`` through HAProxy got its connection dropped while a
22 MB one got 413. The task refused the body unread and closed; the reset lost the 413
on its way through HAProxy (``SD--``) some of the time. Each size is sent several times,
since the failure was a race, with ``requests`` (sends the whole body, then reads) and
chunked, and a normal prediction still answers afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.testing import EcsService, Isolation, LocalCloud
from harness.testing.serving import serving_service

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]

SIZES = (1_100_000, 2_200_000, 22_000_000)
ATTEMPTS = 5


@pytest.fixture
def service(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_emulator: Emulator,
    drydock_isolation: Isolation,
) -> Iterator[EcsService]:
    built, _ = serving_service(
        drydock_emulator, drydock_isolation, drydock_cloud, drydock_serving_image.by_digest
    )
    with built.with_desired_count(1):
        built.wait_stable()
        built.wait_targets_healthy(1)
        yield built


def _chunks(total: int) -> Iterator[bytes]:
    piece = b" " * 65536
    for _ in range(total // len(piece)):
        yield piece


def test_every_oversized_body_gets_413_through_the_load_balancer(service: EcsService) -> None:
    url = service.lb_url + "/predict"
    headers = {"Content-Type": "application/json"}
    outcomes: list[tuple[str, int | str]] = []
    for size in SIZES:
        body = b" " * size
        for _ in range(ATTEMPTS):
            try:
                response = requests.post(url, data=body, headers=headers, timeout=30)
                outcomes.append((f"{size} bytes", response.status_code))
                if response.status_code == 413:
                    assert response.json()["error"]["code"] == "payload_too_large"
            except requests.RequestException as exc:
                outcomes.append((f"{size} bytes", type(exc).__name__))
    for _ in range(ATTEMPTS):
        try:
            response = requests.post(url, data=_chunks(3_000_000), headers=headers, timeout=30)
            outcomes.append(("chunked 3 MB", response.status_code))
        except requests.RequestException as exc:
            outcomes.append(("chunked 3 MB", type(exc).__name__))
    assert [o for o in outcomes if o[1] != 413] == [], outcomes
    ok = requests.post(url, json={"instances": [[5.1, 3.5, 1.4, 0.2]]}, timeout=30)
    assert ok.status_code == 200, ok.text
