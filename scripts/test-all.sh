#!/usr/bin/env bash
# Runs every test suite of the repository (after scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

pnpm exec vitest run
.venv/bin/python -m pytest packages/python/tests notebooks -q

# --- comparison harness: figures computed, quick run of every runner, schema, report in headless Chromium ---
.venv/bin/python -m pytest packages/bench/python/tests -q
