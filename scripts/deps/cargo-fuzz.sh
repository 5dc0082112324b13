#!/usr/bin/env bash
# cargo-fuzz, pinned, for the fuzz targets in fuzz/ (scripts/fuzz.sh). They build with the nightly
# toolchain, which comes with the machine image (rustup cannot download one here).
set -euo pipefail
. "$(dirname "$0")/../lib/cargo-install.sh"
cargo_install_pinned cargo-fuzz 0.13.1
if ! rustup run nightly rustc --version >&2; then
  echo "cargo-fuzz needs the nightly toolchain: rustup toolchain install nightly" >&2
  exit 1
fi
