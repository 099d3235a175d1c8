#!/usr/bin/env bash
# Builds the WebAssembly engine: wasm_api/dist/musicvae_wasm.mjs (ES6 module, Emscripten glue) and
# wasm_api/dist/musicvae_wasm.wasm (the engine, WASM SIMD128 kernels), and from the same sources the
# pthreads build (SharedArrayBuffer; used by musicvae.mjs where the page is cross-origin isolated):
# musicvae_wasm_threads.{mjs,wasm} and the glue of its threads, musicvae_wasm_threads.worker.js, with
# a Node variant of the glue (musicvae_wasm_threads_node.mjs, musicvae_wasm_threads_node.worker.cjs).
# Needs Emscripten (Debian's `emscripten` package, installed by scripts/setup.sh). Rebuilds only when
# a source is newer than the output, unless FORCE=1. See wasm_api/README.md for the flags.
set -euo pipefail
cd "$(dirname "$0")/.."

out=wasm_api/dist
js=$out/musicvae_wasm.mjs
wasm=$out/musicvae_wasm.wasm
threads_wasm=$out/musicvae_wasm_threads.wasm
sources=(src/*/*.c wasm_api/exports.c)

if [ "${FORCE:-0}" != 1 ] && [ -f "$js" ] && [ -f "$wasm" ] && [ -f "$threads_wasm" ] &&
  [ -f "$out/musicvae_wasm_threads.worker.js" ] && [ -f "$out/musicvae_wasm_threads_node.worker.cjs" ]; then
  stale=0
  for f in "${sources[@]}" src/*/*.h include/*.h "$0" wasm_api/node_banner.js; do
    { [ "$f" -nt "$wasm" ] || [ "$f" -nt "$threads_wasm" ]; } && stale=1 && break
  done
  [ $stale = 0 ] && exit 0
fi

if ! command -v emcc >/dev/null 2>&1; then
  echo "wasm_api/build.sh: emcc not found (apt-get install emscripten, or run scripts/setup.sh)" >&2
  exit 1
fi
# Debian's emscripten runs its JS optimizer with the system's node modules (acorn, ...).
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"
mkdir -p "$out"

exports='_malloc,_free,_mvw_kernels,_mvw_activations,_mvw_load,_mvw_info'
exports+=',_mvw_constant_count,_mvw_constant_name,_mvw_constant_value,_mvw_status_code'
exports+=',_mvw_info_size,_mvw_info_field_count,_mvw_info_field_name,_mvw_info_field_offset,_mvw_info_field_kind'
exports+=',_mvw_converter_name,_mvw_drum_class_name,_mvae_drum_class_of_pitch,_mvae_drum_class_pitch,_mvae_chord_of_step'
exports+=',_mvae_chord_span_steps'
exports+=',_mvw_rng_new,_mvw_decode,_mvw_similar,_mvw_normal,_mvw_heap_used,_mvae_model_free,_mvae_last_error'
exports+=',_mvae_status_string,_mvae_encode,_mvae_interpolate,_mvae_interpolate_grid'
exports+=',_mvae_notes_to_input,_mvae_tokens_to_notes,_mvw_encode_refined'
exports+=',_mvae_sample,_mvae_latent_sample,_mvae_rng_skip_rows,_mvae_model_set_int8_compute'
exports+=',_mvae_model_set_threads'
# MidiMe (src/nn/midime.c) and the melody attributes (src/notes/attributes.c)
exports+=',_mvw_midime_create,_mvae_midime_free,_mvae_midime_last_error,_mvae_midime_param_count'
exports+=',_mvae_midime_get_params,_mvae_midime_set_params,_mvae_midime_train_step,_mvae_midime_encode'
exports+=',_mvae_midime_decode,_mvae_midime_sample,_mvae_note_attributes,_mvae_attribute_name'
# GrooVAE (src/notes/convert_groove.c, src/nn/groove.c)
exports+=',_mvw_decode_values,_mvw_sample_values,_mvw_similar_values,_mvae_groove_to_input,_mvae_groove_to_notes'

# -msimd128: the WASM SIMD128 kernels (src/kernels/kernels_wasm.c, src/kernels/activations_wasm.c).
# -ffp-contract=off: no fused multiply-add, bit-identical to the native builds.
# ENVIRONMENT=web,worker: no Node-specific code in the glue; under Node the caller passes the .wasm
# bytes (musicvae.mjs does this itself). A later -sENVIRONMENT (the Node variant's) overrides it.
build() { # build OUTPUT.mjs EXTRA_FLAGS...
  local target=$1
  shift
  emcc -std=c11 -O3 -msimd128 -ffp-contract=off -Wall -Wextra -Iinclude -Isrc "${sources[@]}" \
    -o "$target" \
    -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=createMusicVAEModule \
    -sENVIRONMENT=web,worker \
    -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=16MB -sMAXIMUM_MEMORY=2GB -sTOTAL_STACK=1MB \
    -sMALLOC=emmalloc -sFILESYSTEM=0 -sDYNAMIC_EXECUTION=0 -sTEXTDECODER=2 \
    -sEXPORTED_FUNCTIONS="$exports" \
    -sEXPORTED_RUNTIME_METHODS=UTF8ToString \
    -sASSERTIONS=0 "$@"
}
build "$js"
# The pthreads build: src/api/threads.c's pool with MVAE_HAVE_THREADS, as natively. Its threads are
# Web Workers started when the engine loads (a thread started during a call could not load while
# the caller waits for it): Module.pthreadPoolSize of them, which musicvae.mjs sets from its
# `threads` option. The memory may grow (-Wno-pthreads-mem-growth: musicvae.mjs renews its views).
threads=(-pthread -DMVAE_HAVE_THREADS=1 -sPTHREAD_POOL_SIZE='Module.pthreadPoolSize' -Wno-pthreads-mem-growth)
build "$out/musicvae_wasm_threads.mjs" "${threads[@]}"
# Its Node variant: the same .wasm with Node's glue (worker_threads for the threads). That glue uses
# require/__dirname, defined by node_banner.js, and its threads' script is CommonJS: .cjs, as
# musicvae.mjs names it (the package is "type": "module").
build "$out/musicvae_wasm_threads_node.mjs" "${threads[@]}" -sENVIRONMENT=node --extern-pre-js wasm_api/node_banner.js
if ! cmp -s "$out/musicvae_wasm_threads_node.wasm" "$threads_wasm"; then
  echo "wasm_api/build.sh: the Node variant's .wasm differs from musicvae_wasm_threads.wasm" >&2
  exit 1
fi
rm -f "$out/musicvae_wasm_threads_node.wasm"
mv "$out/musicvae_wasm_threads_node.worker.js" "$out/musicvae_wasm_threads_node.worker.cjs"

wasm_bytes=$(stat -c %s "$wasm")
js_bytes=$(stat -c %s "$js")
gz=$(cat "$wasm" "$js" | gzip -9 | wc -c)
echo "wasm_api: $wasm ($wasm_bytes bytes), $js ($js_bytes bytes); gzipped together: $gz bytes"
tw_bytes=$(stat -c %s "$threads_wasm")
tgz=$(cat "$threads_wasm" "$out/musicvae_wasm_threads.mjs" "$out/musicvae_wasm_threads.worker.js" | gzip -9 | wc -c)
echo "wasm_api: $threads_wasm ($tw_bytes bytes) + glue and worker; gzipped together: $tgz bytes"
