"""The three servers under test, each started, probed for readiness and stopped alike.

* ``DrydockContainer``: the serving image from the registry, run as the ECS
  emulator runs a task (port published on 127.0.0.1, model read from LocalStack).
* ``MinimalFlask``: ``bench/minimal_app.py`` under gunicorn on the host, with the
  container's gunicorn settings: the ceiling for "Flask + gunicorn + this model".
* ``MLServer``: Seldon MLServer's scikit-learn runtime in its own venv, the
  off-the-shelf alternative, spoken to through its V2 infer endpoint.

All three serve the same fitted estimator and return the same outputs (labels
and class probabilities), so the work per request is comparable.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import docker
import requests

from harness.docker_engine.containers import (
    StartedContainer,
    TaskContainerSpec,
    remove_container,
    start_container,
)
from harness.pipeline.service_pipeline import serving_environment
from harness.settings import DrydockSettings
from serving.settings import ServingSettings

BENCH_DIR = Path(__file__).resolve().parent
WORK_DIR = BENCH_DIR / ".work"
MLSERVER_VENV = BENCH_DIR / ".venv-mlserver"
MLSERVER_CONSTRAINTS = BENCH_DIR / "mlserver-constraints.txt"
MLSERVER_PINS = (
    "mlserver==1.7.1",
    "mlserver-sklearn==1.7.1",
    "scikit-learn==1.9.1",
    # uvloop 0.22+ raises in get_event_loop() in MLServer 1.7.1's parallel workers.
    "uvloop==0.21.0",
)
MLSERVER_MODEL = "iris"
#: One BLAS/OpenMP thread per process, as serving/gunicorn_conf.py sets for the container.
SINGLE_THREADED_BLAS = {
    v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
}


class Target(Protocol):
    name: str
    host: str
    port: int
    path: str

    def body(self, rows: list[list[float]]) -> bytes: ...
    def start(self) -> float: ...
    def stop(self) -> None: ...


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(probe: Any, timeout_s: float, what: str, alive: Any = None) -> float:
    """Poll ``probe()`` every 20 ms until true; seconds waited. 20 ms, not 100: start times
    are part of the results, and a coarse poll would round them up."""
    began = time.monotonic()
    while time.monotonic() - began < timeout_s:
        if alive is not None and not alive():
            raise RuntimeError(f"{what} exited before it was ready")
        try:
            if probe():
                return time.monotonic() - began
        except requests.RequestException:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{what} was not ready within {timeout_s:.0f}s")


def instances_body(rows: list[list[float]]) -> bytes:
    return json.dumps({"instances": rows}).encode()


# --- (1) the Drydock serving container --------------------------------------------------


@dataclass
class DrydockContainer:
    """The registry image run like an ECS task; ``start`` times docker run -> ready."""

    client: docker.DockerClient
    settings: DrydockSettings
    image: str
    model_uri: str
    name: str = "drydock-container"
    path: str = "/predict"
    host: str = "127.0.0.1"
    port: int = 0
    started: StartedContainer | None = None
    _names: list[str] = field(default_factory=list)

    def body(self, rows: list[list[float]]) -> bytes:
        return instances_body(rows)

    def start(self) -> float:
        container_name = f"drydock-bench-{uuid.uuid4().hex[:8]}"
        self._names.append(container_name)
        spec = TaskContainerSpec(
            name=container_name,
            image=self.image,
            container_port=self.settings.serving_port,
            network=self.settings.network,
            environment=serving_environment(self.settings, self.model_uri, container_name),
            labels={"role": "bench"},
        )
        began = time.monotonic()
        self.started = start_container(self.client, spec)
        url = self.started.url + "/v2/health/ready"
        wait_for(lambda: requests.get(url, timeout=1).status_code == 200, 60, container_name)
        self.port = self.started.host_port
        return time.monotonic() - began

    def memory_mib(self) -> dict[str, float]:
        """Like ``docker stats``: cgroup usage minus page cache (v1 ``cache``, v2 inactive_file)."""
        assert self.started is not None
        stats = self.client.containers.get(self.started.id).stats(stream=False)["memory_stats"]
        detail = stats.get("stats", {})
        # cgroup v1 names it ``cache``; v2 has no such total, inactive_file is docker's stand-in.
        cache = detail.get("cache", detail.get("inactive_file", 0))
        usage = stats["usage"]
        return {
            "usage_minus_cache_mib": round((usage - cache) / 2**20, 1),
            "usage_mib": round(usage / 2**20, 1),
            "rss_mib": round(
                detail.get("total_rss", detail.get("rss", detail.get("anon", 0))) / 2**20, 1
            ),
        }

    def stop(self) -> None:
        if self.started is not None:
            remove_container(self.client, self.started.id, timeout_s=5)
            self.started = None

    def cleanup(self) -> None:
        """Remove every container this target created, whatever state it was left in."""
        for name in self._names:
            remove_container(self.client, name, timeout_s=2)
        self._names.clear()
        self.started = None


# --- (2) the minimal Flask app, the ceiling ---------------------------------------------


def gunicorn_settings() -> dict[str, Any]:
    """The container's gunicorn defaults, read from serving/settings.py (not copied)."""
    fields = ServingSettings.model_fields
    return {
        k: fields[k].default
        for k in ("workers", "threads", "keepalive", "timeout", "graceful_timeout")
    }


@dataclass
class _Process:
    """A server process we started, in its own process group so its workers stop with it."""

    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def spawn(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.proc = None


@dataclass
class MinimalFlask:
    model_pickle: Path
    name: str = "minimal-flask"
    path: str = "/predict"
    host: str = "127.0.0.1"
    port: int = 0
    process: _Process = field(default_factory=_Process)

    def body(self, rows: list[list[float]]) -> bytes:
        return instances_body(rows)

    def start(self) -> float:
        self.port = free_port()
        g = gunicorn_settings()
        command = [
            sys.executable, "-m", "gunicorn",
            "--worker-class", "gthread",
            "--workers", str(g["workers"]),
            "--threads", str(g["threads"]),
            "--keep-alive", str(g["keepalive"]),
            "--timeout", str(g["timeout"]),
            "--graceful-timeout", str(g["graceful_timeout"]),
            "--preload",
            "--worker-tmp-dir", "/dev/shm",
            "--bind", f"{self.host}:{self.port}",
            "bench.minimal_app:app",
        ]  # fmt: skip
        env = {**os.environ, **SINGLE_THREADED_BLAS, "BENCH_MODEL_PICKLE": str(self.model_pickle)}
        began = time.monotonic()
        self.process.spawn(command, env, WORK_DIR / "minimal-flask.log")
        url = f"http://{self.host}:{self.port}{self.path}"
        probe_body = instances_body([[5.1, 3.5, 1.4, 0.2]])
        headers = {"Content-Type": "application/json"}
        wait_for(
            lambda: requests.post(url, data=probe_body, headers=headers, timeout=1).ok,
            60, self.name, self.process.alive,
        )  # fmt: skip
        return time.monotonic() - began

    def stop(self) -> None:
        self.process.stop()


# --- (3) Seldon MLServer, scikit-learn runtime ------------------------------------------


def ensure_mlserver_venv() -> Path:
    """bench/.venv-mlserver with pinned MLServer; its own venv because it pins its own
    FastAPI/uvicorn/pydantic stack, which must not touch the project's."""
    mlserver = MLSERVER_VENV / "bin" / "mlserver"
    if mlserver.exists():
        return mlserver
    print(f"creating {MLSERVER_VENV} ({', '.join(MLSERVER_PINS)}) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(MLSERVER_VENV)], check=True)
    pip = [str(MLSERVER_VENV / "bin" / "pip"), "install", "--quiet"]
    subprocess.run([*pip, "-c", str(MLSERVER_CONSTRAINTS), *MLSERVER_PINS], check=True)
    return mlserver


@dataclass
class MLServer:
    model_joblib: Path
    name: str = "mlserver"
    host: str = "127.0.0.1"
    port: int = 0
    parallel_workers: int = 2
    process: _Process = field(default_factory=_Process)

    @property
    def path(self) -> str:
        return f"/v2/models/{MLSERVER_MODEL}/infer"

    def body(self, rows: list[list[float]]) -> bytes:
        """The V2 equivalent of ``{"instances": rows}``, asking for the same two outputs."""
        tensor = {
            "name": "input-0",
            "shape": [len(rows), len(rows[0])],
            "datatype": "FP64",
            "data": [v for row in rows for v in row],
        }
        outputs = [{"name": "predict"}, {"name": "predict_proba"}]
        return json.dumps({"inputs": [tensor], "outputs": outputs}).encode()

    def _write_repository(self) -> Path:
        repo = WORK_DIR / "mlserver"
        (repo / MLSERVER_MODEL).mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        server = {
            # REST defaults otherwise; debug off because debug=True (the default) turns on
            # uvicorn's access log, which Drydock's server keeps off by default too.
            "debug": False,
            "parallel_workers": self.parallel_workers,
            "host": self.host,
            "http_port": self.port,
            "grpc_port": free_port(),
            "metrics_port": free_port(),
        }
        model = {
            "name": MLSERVER_MODEL,
            "implementation": "mlserver_sklearn.SKLearnModel",
            "parameters": {"uri": str(self.model_joblib), "version": "1"},
        }
        (repo / "settings.json").write_text(json.dumps(server, indent=2))
        (repo / MLSERVER_MODEL / "model-settings.json").write_text(json.dumps(model, indent=2))
        return repo

    def start(self) -> float:
        mlserver = ensure_mlserver_venv()
        repo = self._write_repository()
        env = {**os.environ, **SINGLE_THREADED_BLAS}
        began = time.monotonic()
        self.process.spawn([str(mlserver), "start", str(repo)], env, WORK_DIR / "mlserver.log")
        url = f"http://{self.host}:{self.port}/v2/models/{MLSERVER_MODEL}/ready"
        wait_for(
            lambda: requests.get(url, timeout=1).status_code == 200,
            120, self.name, self.process.alive,
        )  # fmt: skip
        return time.monotonic() - began

    def stop(self) -> None:
        self.process.stop()
