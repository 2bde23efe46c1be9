#!/usr/bin/env bash
# System tools besides Docker, installed where this machine allows (root + apt):
#   debootstrap  builds the Debian base image when no upstream image can be pulled
#   chromium     headless screenshots of the rollout report (tests, `drydock loadtest --screenshot`)
# Elsewhere a missing tool is reported with the command that installs it; the step
# that needs it then fails with the same advice.
set -euo pipefail

say() { printf 'drydock: %s\n' "$*" >&2; }

missing=()
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
# fonts-liberation: without it the report's text renders in a fallback font.
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
    || missing+=(chromium fonts-liberation)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]} (apt)..."
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "missing ${missing[*]}: install them (Debian/Ubuntu: sudo apt-get install ${missing[*]})"
    exit 1
fi
