#!/usr/bin/env bash
# System tools besides Docker, installed where this machine allows (root + apt):
#   debootstrap  builds the Debian base image when no upstream image can be pulled
#   chromium     headless screenshots of the rollout report (tests, `drydock loadtest --screenshot`)
#   rsync, git   gitlab-ci-local (the CI runner of the local git remote) shells out to them
# then gitlab-ci-local itself from npm, exactly as ci/package-lock.json pins it.
# Elsewhere a missing tool is reported with the command that installs it; the step
# that needs it then fails with the same advice.
set -euo pipefail

say() { printf 'drydock: %s\n' "$*" >&2; }

missing=()
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
# fonts-liberation: without it the report's text renders in a fallback font.
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
    || missing+=(chromium fonts-liberation)
command -v rsync >/dev/null 2>&1 || missing+=(rsync)
command -v git >/dev/null 2>&1 || missing+=(git)

install_runner() {
    local ci_dir
    ci_dir="$(cd "$(dirname "$0")/.." && pwd)/ci"
    [ -x "$ci_dir/node_modules/.bin/gitlab-ci-local" ] && return 0
    if ! command -v npm >/dev/null 2>&1; then
        say "npm missing: install Node 20 and npm, then run: npm ci --prefix $ci_dir"
        return 1
    fi
    say "installing gitlab-ci-local (npm ci, pinned by ci/package-lock.json)..."
    npm ci --prefix "$ci_dir" --no-audit --no-fund >/dev/null
}

if [ ${#missing[@]} -eq 0 ]; then
    install_runner
    exit $?
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]} (apt)..."
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "missing ${missing[*]}: install them (Debian/Ubuntu: sudo apt-get install ${missing[*]})"
    exit 1
fi
install_runner
