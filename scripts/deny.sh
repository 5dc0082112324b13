#!/usr/bin/env bash
# cargo deny: licenses, bans and sources of every dependency against deny.toml. Not advisories:
# their database cannot be fetched from our machines (README, "Dependencies").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps/cargo-deny.sh
cargo deny --locked check licenses bans sources
