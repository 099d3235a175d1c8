#!/usr/bin/env bash
# Times refinement per melody natively and as WebAssembly under Node (a scratch emcc build with the
# engine's flags: -O3 -msimd128 -ffp-contract=off). Run from anywhere; writes build/bench_refine/.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=build/bench_refine
mkdir -p "$out"
shared=${MVAE_SHARED_DIR:-../shared}
model=${1:-models/mel_2bar_small.mvae}
cmake --build build -j2 --target musicvae >/dev/null
cc -std=c11 -O3 -ffp-contract=off -Iinclude -Isrc -Itools bench/refine/bench_refine.c \
  build/libmusicvae.a -lm -o "$out/bench_refine_native"
cc -std=c11 -O3 -ffp-contract=off -DMVAE_USE_SCALAR=1 -Iinclude -Isrc -Itools src/*/*.c \
  bench/refine/bench_refine.c -lm -o "$out/bench_refine_scalar"
echo "== native, scalar kernels (the bits must match every other build's)"
"$out/bench_refine_scalar" "$model" "$shared/testvectors/mel_2bar_small_decode.json" "${2:-8}" | tail -1
echo "== native"
"$out/bench_refine_native" "$model" "$shared/testvectors/mel_2bar_small_decode.json" "${2:-8}"
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"
emcc -std=c11 -O3 -msimd128 -ffp-contract=off -Iinclude -Isrc -Itools src/*/*.c \
  bench/refine/bench_refine.c -o "$out/bench_refine.cjs" -sNODERAWFS=1 -sALLOW_MEMORY_GROWTH=1 \
  -sINITIAL_MEMORY=64MB -sMAXIMUM_MEMORY=2GB -sENVIRONMENT=node -sSINGLE_FILE=1
echo "== wasm (node $(node --version))"
node "$out/bench_refine.cjs" "$model" "$shared/testvectors/mel_2bar_small_decode.json" "${2:-8}"
