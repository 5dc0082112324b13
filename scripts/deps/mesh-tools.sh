#!/usr/bin/env bash
# The command-line tools the mesh's tests drive as a user would: curl (the HTTPS ingress
# requests, with --cacert, --resolve and client certificates), openssl (the walkthrough's
# `openssl req -x509` certificates) and setpriv from util-linux (ties Envoy to the launcher).
# Idempotent: packages already installed are left alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/apt.sh
apt_install curl openssl util-linux
curl --version | head -n 1
openssl version
