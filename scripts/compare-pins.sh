#!/usr/bin/env bash
# Proves that `tox -e unit` and `make test-unit` test the same code: both envs are
# built (tox's without running tests), then their `pip freeze` are compared, the
# project itself left out (editable in .venv, a built wheel in tox). Exit 1 on a
# difference, printing it.
#   scripts/compare-pins.sh            # uses .venv (make venv) and .tox/unit
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${DRYDOCK_VENV:-.venv}
make --quiet venv
"$VENV/bin/tox" -e unit --notest -q
freeze() { "$1/bin/python" -m pip freeze --all --exclude-editable 2>/dev/null \
    | grep -viE '^(drydock|pip|setuptools|wheel)( @|==)' | sort -f; }
diff -u <(freeze "$VENV") <(freeze .tox/unit) \
    && echo "same versions: $(freeze "$VENV" | wc -l) packages in $VENV and .tox/unit"
