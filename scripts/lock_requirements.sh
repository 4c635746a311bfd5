#!/usr/bin/env bash
# Regenerate requirements.lock (runtime) and requirements-dev.lock (runtime + the dev extra)
# from pyproject.toml, with hashes. Versions already in a lock are kept; pass --upgrade to
# move everything to the newest allowed, or --upgrade-package NAME for one package.
# Resolved for Python 3.11.2, Debian 12's own python3, which a fresh machine's ./dev uses.
set -euo pipefail
cd "$(dirname "$0")/.."
compile() {
  .venv/bin/uv pip compile pyproject.toml --quiet --generate-hashes \
    --python-version 3.11.2 --python-platform x86_64-manylinux_2_36 \
    --custom-compile-command "scripts/lock_requirements.sh" "$@"
}
compile -o requirements.lock "$@"
# The dev lock is constrained by the runtime lock, so both install the same runtime versions.
compile --extra dev -c requirements.lock -o requirements-dev.lock "$@"
