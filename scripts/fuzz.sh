#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time (default 25 s each; --seconds N).
# Builds all targets once, without a sanitizer: the code under test forbids `unsafe`, so what
# libFuzzer looks for here is panics, aborts, hangs and runaway memory. The mesh target starts
# from Bookinfo's own YAML in networking/. A crash leaves its input in fuzz/artifacts/TARGET/;
# `cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-…` replays it, and every crash
# found becomes a regression test in its crate's own tests.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=25
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "usage: scripts/fuzz.sh [--seconds N]" >&2; exit 2 ;;
  esac
done
bash scripts/deps/cargo-fuzz.sh
target_dir="$(pwd)/target/fuzz"
cd fuzz
cargo +nightly fuzz build --sanitizer none --target-dir "${target_dir}"
mkdir -p corpus/mesh_yaml
cp ../networking/*.yaml corpus/mesh_yaml/
for target in $(cargo +nightly fuzz list); do
  echo "==> fuzz ${target} for ${seconds} s"
  cargo +nightly fuzz run --sanitizer none --target-dir "${target_dir}" "${target}" -- \
    -max_total_time="${seconds}" -timeout=10 -rss_limit_mb=1024 -max_len=16384 -print_final_stats=1
done
