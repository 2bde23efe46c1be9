#!/bin/sh
# Create the bare repositories once, (re)install the enqueueing hook, serve them.
set -eu
ROOT=/srv/drydock-ci
mkdir -p "$ROOT/git" "$ROOT/incoming"
for repo in ${DRYDOCK_GIT_REPOSITORIES:-model service}; do
    dir="$ROOT/git/$repo.git"
    [ -d "$dir" ] || git init --quiet --bare --initial-branch=main "$dir"
    install -m 0755 /usr/local/lib/drydock-git/post-receive "$dir/hooks/post-receive"
done
exec git daemon --reuseaddr --export-all --enable=receive-pack \
    --base-path="$ROOT/git" --listen=0.0.0.0 --port=9418 --informative-errors "$ROOT/git"
