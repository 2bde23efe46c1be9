"""What the registry gate costs a push (by hand, under the docker lock, with the local
cloud up: ``python -m bench.registry_gate [--layer-mib 256]``).

An image with one layer of random bytes (incompressible, so the pushed blob is as big
as the layer) is pushed twice in the same run: to a plain registry container of the
same image with no auth and no gate (the baseline), and through the local cloud's gate
(HAProxy, ECR's credentials, the manifest checked by the emulator). Prints both push
times, their ratio, and the gate's peak memory (cgroup v1 ``memory.max_usage_in_bytes``,
reset before the push) against the layer's size: a gate that buffered blobs would need
the layer's size in memory (and would be killed by its 128 MiB limit first). Writes
``bench/results/registry-gate-<timestamp>.json``. Not run in CI. The layer's blob stays
in the registry's volume after the run (distribution frees blobs only by garbage
collection), so keep the layer modest.
"""

from __future__ import annotations

import argparse
import io
import json
import time
import uuid
from pathlib import Path
from typing import Any

import docker

from harness.aws import aws_client
from harness.docker_engine import docker_client
from harness.images.catalog import REGISTRY
from harness.images.ecr_login import ecr_login
from harness.images.registry import push_image
from harness.images.resolver import ImageResolver
from harness.settings import DrydockSettings

RESULTS_DIR = Path(__file__).resolve().parent / "results"
GATE_CONTAINER = "{project}-registry-gate-1"
CGROUP = Path("/sys/fs/cgroup/memory/docker")
MIB = 1024 * 1024


def peak_file(container: Any) -> Path | None:
    path = CGROUP / container.id / "memory.max_usage_in_bytes"
    return path if path.exists() else None


def reset_peak(container: Any) -> None:
    path = peak_file(container)
    if path is not None:
        path.write_text("0")


def peak_mib(container: Any) -> float | None:
    path = peak_file(container)
    return int(path.read_text()) / MIB if path is not None else None


def build_random_layer_image(client: docker.DockerClient, base: str, mib: int, tag: str) -> str:
    dockerfile = f"FROM {base}\nRUN head -c {mib}M /dev/urandom > /blob\n"
    image, _ = client.images.build(
        fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True, forcerm=True, pull=False
    )
    return str(image.id)


def timed_push(
    client: docker.DockerClient, image: str, registry: str, name: str, login: Any
) -> float:
    began = time.monotonic()
    pushed = push_image(client, image, registry, name, "bench", login=login)
    assert pushed.pushed, "the registry already had this image: nothing was measured"
    return time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer-mib", type=int, default=256)
    args = parser.parse_args()
    settings = DrydockSettings()
    client = docker_client()
    resolver = ImageResolver(client, settings)
    run = uuid.uuid4().hex[:8]
    name = f"drydock-bench/registry-gate-{run}"
    local = f"{name}:bench"
    image = build_random_layer_image(client, resolver.base_ref(), args.layer_mib, local)
    gate = client.containers.get(GATE_CONTAINER.format(project=settings.project))
    baseline = client.containers.run(
        resolver.resolve(REGISTRY).ref,
        name=f"drydock-bench-registry-{run}",
        detach=True,
        ports={"5000/tcp": ("127.0.0.1", None)},
        mem_limit="512m",
    )
    ecr = aws_client("ecr", settings)
    ecr.create_repository(repositoryName=name)
    try:
        baseline.reload()
        port = baseline.ports["5000/tcp"][0]["HostPort"]
        time.sleep(1.0)  # the registry binds its port within a second
        direct_s = timed_push(client, image, f"127.0.0.1:{port}", name, None)
        reset_peak(gate)
        gated_s = timed_push(client, image, settings.registry_address, name, ecr_login(settings))
        gate_peak = peak_mib(gate)
    finally:
        baseline.remove(force=True)
        ecr.delete_repository(repositoryName=name, force=True)
        client.images.remove(image, force=True)
    figures = {
        "layer_mib": args.layer_mib,
        "direct_push_s": round(direct_s, 2),
        "gated_push_s": round(gated_s, 2),
        "gated_over_direct": round(gated_s / direct_s, 2),
        "gate_peak_mib": round(gate_peak, 1) if gate_peak is not None else None,
        "gate_memory_limit_mib": 128,
    }
    print(json.dumps(figures, indent=2))
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    (RESULTS_DIR / f"registry-gate-{stamp}.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
