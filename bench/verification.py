"""What signature verification costs a task: start-to-ready with it on and off.

Run by hand: ``.venv/bin/python -m bench.verification`` (host processes, no docker;
about a minute) or with ``--container`` (the serving image as a task would run it,
model from S3 in the local cloud; needs docker and the machine-wide lock:
``flock /tmp/drydock-docker.lock .venv/bin/python -m bench.verification --container``).

Two signed models, published as the pipeline does (``package`` + ``ModelSigner``):
the demo model (iris, a few kB) and a ~50 MB one (k-nearest neighbours keeps its
training matrix: 160 000 x 40 float64). For each model, verification on and off
alternate ``--runs`` times; each run starts the server (gunicorn with the image's
config, or the container) and waits for ``/v2/health/ready``. It prints the medians
and the ratio on/off (wall time, and for host processes the CPU time the gunicorn
master spent until ready, steadier on a shared machine), the time
``SignatureVerifier.verify`` alone takes, and
writes ``bench/results/verification-<timestamp>.json``. The target (issue 10) is
a ratio of at most 1.10.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import requests
from rich.console import Console
from rich.table import Table
from sklearn.neighbors import KNeighborsClassifier

from bench.targets import free_port, wait_for
from harness.model.artifact import ModelArtifact, manifest_bytes, package, write_artifact
from harness.model.keys import public_pem
from harness.model.signing import ModelSigner
from harness.model.training import TrainedModel, train
from serving.manifest import MANIFEST_FILENAME
from serving.signature import SignatureVerifier

RESULTS_DIR = Path(__file__).resolve().parent / "results"
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
TARGET_RATIO = 1.10
LARGE_ROWS, LARGE_FEATURES = 160_000, 40


def demo_model() -> TrainedModel:
    return train("iris")


def large_model() -> TrainedModel:
    """About 50 MB pickled: brute-force k-NN stores its training matrix and nothing else."""
    rng = np.random.default_rng(0)
    features = rng.standard_normal((LARGE_ROWS, LARGE_FEATURES))
    target = (features[:, 0] > 0).astype(int)
    estimator = KNeighborsClassifier(n_neighbors=5, algorithm="brute").fit(features, target)
    return TrainedModel(
        estimator=estimator,  # type: ignore[arg-type]
        dataset="synthetic",
        feature_names=[f"f{i}" for i in range(LARGE_FEATURES)],
        target_names=["negative", "positive"],
        metrics={},
    )


@dataclass(frozen=True)
class Published:
    label: str
    artifact: ModelArtifact
    folder: Path


def publish(label: str, trained: TrainedModel, signer: ModelSigner, root: Path) -> Published:
    artifact = signer.sign(package(trained, f"bench-verify-{label}", "1"))
    return Published(label, artifact, write_artifact(artifact, root / label))


def time_verify_alone(published: Published, verifier: SignatureVerifier, runs: int) -> float:
    """Median seconds of ``SignatureVerifier.verify`` on bytes already in memory."""
    files = {
        MANIFEST_FILENAME: manifest_bytes(published.artifact.manifest),
        published.artifact.manifest.artifact: published.artifact.model_bytes,
    }
    signature = published.artifact.signature
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        verifier.verify(files, signature)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


@dataclass(frozen=True)
class Start:
    wall_s: float
    #: CPU seconds the gunicorn master spent until ready (imports, model load, checks):
    #: steadier than wall time on a shared machine; None for containers.
    cpu_s: float | None = None


def gunicorn_start_to_ready(folder: Path, verify: bool, public_keys: str) -> Start:
    """The image's entry point on the host: process start -> /v2/health/ready 200."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRYDOCK_")}
    env.update(
        DRYDOCK_MODEL_URI=f"file://{folder}",
        DRYDOCK_BIND=f"127.0.0.1:{port}",
        DRYDOCK_VERIFY_SIGNATURES="true" if verify else "false",
        DRYDOCK_TRUSTED_PUBLIC_KEYS=public_keys,
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
    )
    began = time.monotonic()
    process = subprocess.Popen(
        [GUNICORN, "--config", "python:serving.gunicorn_conf", "serving.wsgi:app"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}/v2/health/ready"
        wait_for(
            lambda: requests.get(url, timeout=1).status_code == 200,
            120,
            f"gunicorn serving {folder.name}",
            alive=lambda: process.poll() is None,
        )
        wall = time.monotonic() - began
        cpu = psutil.Process(process.pid).cpu_times()
        return Start(wall, cpu.user + cpu.system)
    finally:
        process.terminate()
        process.wait(timeout=30)


def alternate(runs: int, start: Callable[[bool], Start]) -> dict[str, list[Start]]:
    """On and off in turns (off first on even runs), so drift on a shared machine hits both."""
    times: dict[str, list[Start]] = {"on": [], "off": []}
    for run in range(runs):
        order = (False, True) if run % 2 == 0 else (True, False)
        for verify in order:
            times["on" if verify else "off"].append(start(verify))
    return times


def summarise(times: dict[str, list[Start]]) -> dict[str, Any]:
    wall = {k: [round(s.wall_s, 3) for s in v] for k, v in times.items()}
    on, off = statistics.median(wall["on"]), statistics.median(wall["off"])
    result: dict[str, Any] = {
        "start_to_ready_s": wall,
        "median_on_s": round(on, 3),
        "median_off_s": round(off, 3),
        "ratio_on_off": round(on / off, 3),
    }
    if all(s.cpu_s is not None for v in times.values() for s in v):
        cpu = {k: [round(s.cpu_s or 0.0, 3) for s in v] for k, v in times.items()}
        cpu_on, cpu_off = statistics.median(cpu["on"]), statistics.median(cpu["off"])
        result.update(
            master_cpu_s=cpu,
            median_cpu_on_s=round(cpu_on, 3),
            median_cpu_off_s=round(cpu_off, 3),
            cpu_ratio_on_off=round(cpu_on / cpu_off, 3),
        )
    return result


def container_runner(published: list[Published], signer: ModelSigner) -> Callable[..., float]:
    """Start-to-ready of the serving image as a task: docker run -> ready, model from S3."""
    from bench.targets import DrydockContainer
    from harness.aws import s3_client
    from harness.docker_engine import docker_client
    from harness.images.resolver import ImageResolver
    from harness.model.store import ModelStore
    from harness.pipeline.service_pipeline import build_and_push
    from harness.settings import DrydockSettings
    from harness.stack.local_cloud import bring_up, ensure_model_bucket, resolve_cloud_images

    settings = DrydockSettings(model_signing_key=signer.private_key)
    client = docker_client()
    resolver = ImageResolver(client, settings)
    bring_up(client, settings, resolve_cloud_images(resolver, None))
    ensure_model_bucket(settings)
    _, pushed = build_and_push(client, resolver, settings, None)
    store = ModelStore(s3_client(settings), settings.model_bucket)
    uris = {}
    for item in published:
        # The bench's own model names: an earlier run's versions were signed with its key.
        store.purge(item.artifact.manifest.name)
        uris[item.label] = store.publish(item.artifact)

    def start(label: str, verify: bool) -> Start:
        variant = DrydockSettings(model_signing_key=signer.private_key, verify_signatures=verify)
        container = DrydockContainer(client, variant, pushed.by_digest, uris[label])
        try:
            return Start(container.start())
        finally:
            container.cleanup()

    return start


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.verification", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="starts per model and setting")
    parser.add_argument("--container", action="store_true", help="the image, model from S3")
    options = parser.parse_args()
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)  # the table stays legible in a log
    with tempfile.TemporaryDirectory(prefix="drydock-bench-verify-") as scratch:
        root = Path(scratch)
        signer = ModelSigner(root / "keys" / "bench.pem")
        console.print("packaging and signing the demo model and a ~50 MB model")
        models = [
            publish("demo", demo_model(), signer, root),
            publish("large", large_model(), signer, root),
        ]
        keys = public_pem(signer.private_key)
        verifier = SignatureVerifier((keys,))
        if options.container:
            in_container = container_runner(models, signer)
        results: dict[str, Any] = {}
        for item in models:
            size = item.artifact.manifest.size_bytes + len(item.artifact.signature or b"")
            console.print(f"[bold]{item.label}[/bold]: {size / 2**20:.1f} MiB, timing starts")
            if options.container:
                times = alternate(options.runs, lambda v, i=item: in_container(i.label, v))
            else:
                times = alternate(
                    options.runs, lambda v, i=item: gunicorn_start_to_ready(i.folder, v, keys)
                )
            results[item.label] = {
                "model_bytes": item.artifact.manifest.size_bytes,
                "signature_bytes": len(item.artifact.signature or b""),
                **summarise(times),
                "verify_alone_s": round(time_verify_alone(item, verifier, options.runs), 4),
            }
    where = "serving image, model from S3 (LocalStack)" if options.container else "host gunicorn"
    table = Table(title=f"Start-to-ready, signature verification on vs off ({where})")
    columns = ("model", "MiB", "off s", "on s", "on/off", "CPU off s", "CPU on s", "CPU on/off")
    for column in (*columns, "verify alone s"):
        table.add_column(column, justify="right")
    table.add_column(f"on/off <= {TARGET_RATIO:.2f}")
    for label, result in results.items():
        table.add_row(
            label,
            f"{result['model_bytes'] / 2**20:.1f}",
            f"{result['median_off_s']:.3f}",
            f"{result['median_on_s']:.3f}",
            f"{result['ratio_on_off']:.3f}",
            str(result.get("median_cpu_off_s", "-")),
            str(result.get("median_cpu_on_s", "-")),
            str(result.get("cpu_ratio_on_off", "-")),
            f"{result['verify_alone_s']:.4f}",
            "PASS" if result["ratio_on_off"] <= TARGET_RATIO else "FAIL",
        )
    console.print(table)
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out = RESULTS_DIR / f"verification-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "where": where,
                "runs": options.runs,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "results": results,
            },
            indent=2,
        )
    )
    console.print(f"written {out}")


if __name__ == "__main__":
    main()
