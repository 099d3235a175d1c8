#!/usr/bin/env bash
# Runs every test: set-up, the C tests (release build, then ASan + UBSan), short fuzzing runs, the
# Python and JavaScript tests. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
export MVAE_SHARED_DIR="${MVAE_SHARED_DIR:-$(cd .. && pwd)/shared}"

echo "== formatting (clang-format, .clang-format)"
clang-format --dry-run --Werror src/*/*.[ch] include/*.h tools/*.[ch] tests/*.[ch] tests/fuzz/*.c wasm_api/*.c

echo "== C tests (release)"
ctest --test-dir build --output-on-failure

echo "== C tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DMVAE_SANITIZE=ON \
  -DMVAE_FUZZ=ON >/dev/null
cmake --build build-asan -j"$(nproc)"
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure

echo "== fuzzing (bounded runs over the instrumented library; seeds in tests/fuzz/corpus/)"
for fuzzer in build-asan/fuzz_*; do
  [ -x "$fuzzer" ] || continue
  name=$(basename "$fuzzer")
  corpus=tests/fuzz/corpus/${name#fuzz_}
  mkdir -p "build-asan/corpus-$name"
  # The fuzzer's own status decides (a crash must fail the run); its log is kept for reading.
  status=0
  "$fuzzer" -max_total_time="${MVAE_FUZZ_SECONDS:-30}" -print_final_stats=1 \
    "build-asan/corpus-$name" $( [ -d "$corpus" ] && echo "$corpus" ) >"build-asan/$name.log" 2>&1 || status=$?
  grep -E "^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|ERROR|SUMMARY" "build-asan/$name.log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 60 "build-asan/$name.log"
    echo "$name failed (exit status $status); its log: build-asan/$name.log" >&2
    exit 1
  fi
done

echo "== Python tests"
/usr/bin/python3 tests/reference/test_reference_selfcheck.py
for t in training/test_*.py; do
  [ -f "$t" ] || continue
  mod=$(basename "$t" .py)
  /usr/bin/python3 -m unittest "training.$mod"
done

echo "== JavaScript tests"
node --test tests/js/
