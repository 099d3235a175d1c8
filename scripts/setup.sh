#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian 12 machine (run as root). Idempotent and quick
# when everything is already there: only missing packages are installed.
set -euo pipefail

packages=(
  cmake make gcc clang clang-format libclang-rt-14-dev      # engine, sanitizers, libFuzzer
  python3 python3-numpy                        # reference implementation, model format tools
  python3-torch libopenblas0-openmp python3-mido # trainer (OpenMP OpenBLAS: ~30x faster torch)
  emscripten                                   # WebAssembly build (wasm_api/)
  chromium                                     # headless browser tests of the explorer (web/)
)
command -v node >/dev/null 2>&1 || packages+=(nodejs)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages (package-lock.json): @tonejs/midi for the CLI and the explorer; magenta.js and TF.js
# for the parity tests; playwright-core (it downloads no browser: it drives Debian's chromium) for
# the explorer's browser tests. `npm ci` only when node_modules is missing or was installed from
# another lockfile.
cd "$(dirname "$0")/.."
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.lock-sha256 2>/dev/null)" != "$lock_sum" ]; then
  echo "setup: npm ci"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" >node_modules/.lock-sha256
fi
