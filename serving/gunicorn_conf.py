"""gunicorn configuration, from the same ``DRYDOCK_*`` settings as the app.

Run as ``gunicorn --config python:serving.gunicorn_conf serving.wsgi:app``
(the image's exec-form ENTRYPOINT, so gunicorn is PID 1 and receives ECS's
SIGTERM itself).

Timeouts, and why they relate to the platform (checked in ServingSettings):

* ``keepalive`` (default 75 s) is LONGER than the load balancer's idle timeout
  (ALB default 60 s). The balancer reuses idle connections to targets; if the
  target closed one first, a request sent on it at that moment is lost as a 502.
  The side that keeps connections longer must be the server.
* ``graceful_timeout`` (default 20 s) is SHORTER than the ECS task's
  ``stopTimeout`` (default 30 s). On SIGTERM workers stop accepting and finish
  in-flight requests for at most this long; ECS SIGKILLs at stopTimeout, so a
  shorter grace period means gunicorn ends the drain itself, in order.
* ``drain_max_wait`` (default 10 s) is SHORTER than ``graceful_timeout``: a
  worker SIGTERMed while the balancer still routes to it keeps accepting until
  no client request came for ``drain_quiet_period`` (1 s), at most this long,
  and what it accepted still has the rest of the grace period to finish.
* ``timeout`` (default 30 s) is how long a worker may go without a heartbeat
  before the master kills and replaces it.
"""

from __future__ import annotations

import gc
import glob
import os
import sys
import tempfile
from typing import Any

from pydantic import ValidationError

from serving.settings import describe_invalid_settings, settings_from_env

try:
    _settings = settings_from_env()
except ValidationError as _exc:
    print(f"drydock-serving: {describe_invalid_settings(_exc)}", file=sys.stderr, flush=True)
    sys.exit(2)

# One BLAS/OpenMP thread per process: workers x threads already use the cores, and
# per-process BLAS pools oversubscribe them and cost memory. Set before numpy loads.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

# Metrics from all workers are summed through files in one directory. It must be
# in the environment before prometheus_client is imported (by the app, at preload),
# and start empty so counts from an earlier run in the same container are not reused.
_metrics_dir = _settings.metrics_dir or tempfile.mkdtemp(prefix="drydock-metrics-")
os.makedirs(_metrics_dir, exist_ok=True)
for _stale in glob.glob(os.path.join(_metrics_dir, "*.db")):
    os.remove(_stale)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir

bind = _settings.bind
wsgi_app = "serving.wsgi:app"
# gthread: a thread pool per worker and real HTTP keep-alive (sync workers close
# every connection, which defeats the balancer's connection reuse).
worker_class = "gthread"
workers = _settings.workers
threads = _settings.threads
timeout = _settings.timeout
graceful_timeout = _settings.graceful_timeout
keepalive = _settings.keepalive
# Load the model once in the master: workers share it copy-on-write, and a model
# that fails its checks stops the master (non-zero exit) instead of a worker loop.
preload_app = True
# Heartbeat files in memory: on a container's overlay filesystem they can stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = "-" if _settings.access_log else None
errorlog = "-"
loglevel = _settings.log_level
proc_name = "drydock-serving"
# gunicorn's runtime control socket: unused here, and it would write under $HOME.
control_socket_disable = True


def when_ready(server: Any) -> None:
    """Before the first fork: freeze what the preload built, so workers share its pages.

    Objects in gc's permanent generation are never scanned by collections in the
    workers, so their memory pages stay shared instead of being copied.
    """
    gc.freeze()


def post_worker_init(worker: Any) -> None:
    """In each worker: warm up its own process, then flip readiness on SIGTERM at once.

    On SIGTERM the worker keeps accepting until client traffic stops (see
    ``serving.lifecycle``), for at most ``drain_max_wait`` of the
    ``graceful_timeout`` the master allows it.
    """
    import signal
    from functools import partial

    from serving.lifecycle import drain_on_signals, wait_for_quiet, warm_up
    from serving.state import EXTENSION_KEY

    state = getattr(worker.wsgi, "extensions", {}).get(EXTENSION_KEY)
    if state is None:
        return
    model = state.model
    warm_up(model.estimator, model.n_features, model.has_proba)
    drain_on_signals(
        state.lifecycle,
        graceful={signal.SIGTERM: worker.handle_exit},
        immediate={signal.SIGINT: worker.handle_quit, signal.SIGQUIT: worker.handle_quit},
        linger=partial(
            wait_for_quiet,
            state.lifecycle,
            _settings.drain_quiet_period,
            _settings.drain_max_wait,
        ),
    )


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges from the shared metrics."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, _metrics_dir)


def on_exit(server: Any) -> None:
    """Remove the metrics directory we created (keep one the operator named)."""
    if not _settings.metrics_dir:
        import shutil

        shutil.rmtree(_metrics_dir, ignore_errors=True)
