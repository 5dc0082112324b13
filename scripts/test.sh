#!/usr/bin/env bash
# The project's test command: installs what the tests need (scripts/setup.sh), then runs every
# test, including each reviews version's feature set, the manifest checks and the OpenAPI check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "==> cargo test (workspace)"
cargo test --workspace --locked
for version in v2 v3; do
  echo "==> cargo test reviews --features ${version}"
  cargo test --locked -p reviews --features "${version}"
done
echo "==> the OpenAPI descriptions against the running services (schemathesis)"
bash scripts/api-check.sh
