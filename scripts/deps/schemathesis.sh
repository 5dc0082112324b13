#!/usr/bin/env bash
# schemathesis, pinned, in the project's tools venv (target/tools/venv): scripts/api-check.sh runs
# it against each service with the service's OpenAPI description (openapi/*.yaml).
# Idempotent: a pinned version already installed is left alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/venv.sh
venv_install "schemathesis==4.32.5"
"${TOOLS_VENV}/bin/schemathesis" --version >&2
