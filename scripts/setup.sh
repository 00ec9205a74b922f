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
# build + setuptools: `pnpm package` builds the wheel with them (no build isolation, so no download each time)
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r packages/python/requirements-package.txt

# --- knnkit[compare]: the comparison peers (hnswlib builds from source with g++) and kaleido ---
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r packages/python/requirements-compare.txt

# --- Debian's chromium for the browser tests (test/browser) and the report's ---
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi

# --- JupyterLite, for the test that builds an offline site (scripts/build-jupyterlite.py) ---
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r scripts/requirements-jupyterlite.txt

# --- numpy for Pyodide: PyPI wheels tagged pyemscripten_2026_0_wasm32, if PyPI serves any ---
mkdir -p .cache/pyodide-wheels
.venv/bin/python -m pip download --quiet --disable-pip-version-check numpy --platform pyemscripten_2026_0_wasm32 \
  --python-version 3.14 --only-binary=:all: --no-deps -d .cache/pyodide-wheels 2>/dev/null \
  || echo "setup: PyPI serves no numpy wheel for Pyodide (pyemscripten_2026_0_wasm32); the Pyodide backend works on buffers"

# --- notebook kernels: jupyter/nbclient/ipykernel in .venv, tslab and the .venv kernel under .jupyter ---
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r notebooks/requirements.txt
node_modules/.bin/tslab install --python="$PWD/.venv/bin/python" --prefix "$PWD/.jupyter" --binary "$PWD/node_modules/.bin/tslab" >/dev/null
.venv/bin/python -m ipykernel install --prefix "$PWD/.jupyter" --name knnkit-python --display-name "Python (knnkit .venv)" >/dev/null
