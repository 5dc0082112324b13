#!/usr/bin/env bash
# The benchmark: builds the release binaries, then measures them against a trivial actix-web
# server on this machine (see bench/). Arguments go to bookinfo-bench, e.g. --seconds 20, --quick.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps/bench.sh >/dev/null
cargo build --release --locked -p productpage -p details -p reviews -p ratings -p bookinfo -p bookinfo-bench
exec target/release/bookinfo-bench "$@"
