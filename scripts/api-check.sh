#!/usr/bin/env bash
# The OpenAPI check: builds the four services, then scripts/api_check.py checks that openapi/*.yaml
# documents exactly the routes each serves and runs schemathesis (scripts/deps/schemathesis.sh)
# against each real service on loopback. Arguments go to api_check.py (e.g. --max-examples 200).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps/schemathesis.sh
cargo build --locked -p details -p ratings -p reviews -p productpage --bins
target_dir="${CARGO_TARGET_DIR:-target}"
target/tools/venv/bin/python scripts/api_check.py "${target_dir}/debug" "$@"
