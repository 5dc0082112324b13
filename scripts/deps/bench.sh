#!/usr/bin/env bash
# wrk, the load generator the benchmark drives (scripts/bench.sh), from Debian.
set -euo pipefail
. "$(dirname "$0")/../lib/apt.sh"
apt_install wrk
