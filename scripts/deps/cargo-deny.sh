#!/usr/bin/env bash
# cargo-deny, pinned: `cargo deny check licenses bans sources` against deny.toml (scripts/deny.sh).
set -euo pipefail
. "$(dirname "$0")/../lib/cargo-install.sh"
cargo_install_pinned cargo-deny 0.18.3
