#!/usr/bin/env bash
# Installs everything the test suite needs on a Debian machine with Rust: runs each
# idempotent installer in scripts/deps/ (Debian packages, the Python tools venv, Envoy).
# Safe to run again; a step that is already done does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
for installer in scripts/deps/*.sh; do
  echo "==> ${installer}"
  bash "${installer}"
done
