#!/usr/bin/env bash
# Headless Chromium and its WebDriver, from Debian, for the browser tests (bookinfo/tests/browser).
set -euo pipefail
. "$(dirname "$0")/../lib/apt.sh"
apt_install chromium chromium-driver fonts-dejavu-core
chromium --version
chromedriver --version
