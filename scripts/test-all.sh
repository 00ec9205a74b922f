#!/usr/bin/env bash
# Runs every test suite of the repository (after scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

pnpm exec vitest run
.venv/bin/python -m pytest packages/python/tests -q
.venv/bin/python -m pytest notebooks -q

# --- installed packages (issue 14): dist/ by `pnpm package`; the wheel in a fresh venv with no node on PATH and in Pyodide, the npm tarballs in a fresh folder ---
pnpm package
KNNKIT_DIST="$PWD/dist" .venv/bin/python -m pytest test/installed -q

# --- comparison harness: figures computed, quick run of every runner, schema, report in headless Chromium ---
.venv/bin/python -m pytest packages/bench/python/tests -q
