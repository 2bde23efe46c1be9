"""Load generation: ``wrk`` for maximum throughput, a fixed-rate client for latency.

Why two tools: wrk is a closed loop (each connection sends its next request when
the previous answer arrives), which is what finds the maximum rate. Latency at a
given rate needs an open loop that sends on a schedule whatever the server does,
or a slow server quietly lowers the offered rate and hides its own tail
("coordinated omission"). wrk2 does that but is not packaged in Debian, so the
half-rate run uses the small thread-per-connection client below, which measures
each request from the moment it was *scheduled*, not from when it was sent.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import shutil
import subprocess
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

LUA_SCRIPT = Path(__file__).with_name("post.lua")
RESULT_MARKER = "BENCH_RESULT "


def ensure_wrk() -> str:
    """wrk's path; installed from apt when missing and we are root, else a clear exit."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: apt-get install -y wrk")
        install = ["apt-get", "install", "-y", "wrk"]
        if subprocess.run(install, check=False, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update"], check=True, capture_output=True)
            subprocess.run(install, check=True, capture_output=True)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit(
        "bench: wrk is not installed; install it with `sudo apt-get install -y wrk` "
        "(Debian/Ubuntu) or `brew install wrk` (macOS), then run again"
    )


@dataclass(frozen=True)
class WrkRun:
    """One closed-loop run at a fixed number of connections."""

    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def run_wrk(
    wrk: str, url: str, body: Path, connections: int, seconds: int, threads: int = 1
) -> WrkRun:
    """One wrk run; one wrk thread by default because the server needs the other cores."""
    command = [
        wrk,
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(LUA_SCRIPT),
        url,
    ]
    env = {**os.environ, "BENCH_BODY_FILE": str(body)}
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    figures = json.loads(lines[-1][len(RESULT_MARKER) :])
    elapsed = figures["duration_us"] / 1e6
    return WrkRun(
        connections=connections,
        seconds=round(elapsed, 2),
        requests=figures["requests"],
        rps=round(figures["requests"] / elapsed, 1),
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=figures["status_errors"] + figures["socket_errors"],
    )


def max_throughput(
    wrk: str, url: str, body: Path, connection_counts: tuple[int, ...], seconds: int
) -> tuple[WrkRun, list[WrkRun]]:
    """The best error-free run over a few connection counts (and all runs, for the record)."""
    run_wrk(wrk, url, body, connection_counts[0], 2)  # warm-up: JIT-free, but caches and pools
    runs = [run_wrk(wrk, url, body, c, seconds) for c in connection_counts]
    clean = [r for r in runs if r.errors == 0] or runs
    return max(clean, key=lambda r: r.rps), runs


@dataclass(frozen=True)
class FixedRateRun:
    """An open-loop run: latency from each request's scheduled send time."""

    target_rps: float
    achieved_rps: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    service_p99_ms: float  # from the actual send: the server's share, without client lag


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, round(q / 100 * (len(sorted_values) - 1)))
    return sorted_values[index]


def fixed_rate(
    host: str,
    port: int,
    path: str,
    body: bytes,
    rps: float,
    seconds: float,
    connections: int = 16,
    warmup_s: float = 1.0,
) -> FixedRateRun:
    """Send ``rps`` requests a second for ``seconds`` over ``connections`` keep-alive sockets.

    Request *i* is due at ``start + i / rps``; whichever thread is free takes the
    next due request, so a slow answer delays no one else's schedule, and a
    request sent late is charged the lateness. Requests due in the first
    ``warmup_s`` are sent but not counted.
    """
    counter = itertools.count()
    start = time.perf_counter() + 0.2
    total = int(rps * seconds)
    lock = threading.Lock()
    latencies: list[float] = []
    service: list[float] = []
    errors = [0]
    headers = {"Content-Type": "application/json", "Connection": "keep-alive"}

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        mine: list[tuple[float, float]] = []
        failed = 0
        while True:
            i = next(counter)
            if i >= total:
                break
            due = start + i / rps
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent = time.perf_counter()
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=10)
                ok = False
            finished = time.perf_counter()
            if due - start < warmup_s:
                continue
            if ok:
                mine.append((finished - due, finished - sent))
            else:
                failed += 1
        conn.close()
        with lock:
            latencies.extend(m[0] for m in mine)
            service.extend(m[1] for m in mine)
            errors[0] += failed

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    elapsed = time.perf_counter() - start - warmup_s
    latencies.sort()
    service.sort()
    return FixedRateRun(
        target_rps=round(rps, 1),
        achieved_rps=round((len(latencies) + errors[0]) / max(elapsed, 1e-9), 1),
        requests=len(latencies),
        errors=errors[0],
        p50_ms=round(_percentile(latencies, 50) * 1000, 2),
        p99_ms=round(_percentile(latencies, 99) * 1000, 2),
        service_p99_ms=round(_percentile(service, 99) * 1000, 2),
    )


def as_dict(run: WrkRun | FixedRateRun) -> dict[str, object]:
    return asdict(run)
