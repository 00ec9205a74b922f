#!/usr/bin/env bash
# Sets up a fresh machine for knnkit: pnpm, node packages, build.
# Each section is idempotent; re-running it is cheap.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=12.21.0

# --- pnpm (pinned) ---
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null | tail -n 1)" != "$PNPM_VERSION" ]; then
  npm install -g "pnpm@$PNPM_VERSION" --allow-scripts=pnpm >/dev/null 2>&1 || npm install -g "pnpm@$PNPM_VERSION"
fi

# --- node packages and build ---
pnpm install --frozen-lockfile
pnpm run build

# --- Python virtual environment (.venv) with the knnkit package ---
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r packages/python/requirements.txt
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e packages/python
