#!/usr/bin/env bash
# MariaDB from Debian (`mariadb-server`), for ratings v2's MySQL tests (ratings/tests/api/mysql.rs).
# Only the binaries are needed: each test starts its own `mariadbd` on 127.0.0.1 with a throwaway
# data directory and stops it afterwards, so no system service is started or configured here.
# Idempotent: nothing happens when `mariadbd` (or `mysqld`) is already installed.
set -euo pipefail
. "$(dirname "$0")/../lib/apt.sh"

find_server() {
  PATH="${PATH}:/usr/sbin:/usr/local/sbin" command -v mariadbd || PATH="${PATH}:/usr/sbin:/usr/local/sbin" command -v mysqld
}

if ! server="$(find_server)"; then
  # apt_install refreshes the package lists only if the install fails without them.
  apt_install mariadb-server
  server="$(find_server)"
fi
"${server}" --version
