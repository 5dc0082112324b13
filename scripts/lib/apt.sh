#!/usr/bin/env bash
# Helper for the other installers: `apt_install PACKAGE...` installs the Debian packages that are
# missing, refreshing the package lists once if an install fails for want of them.
apt_install() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "${package}" 2>/dev/null | grep -q "install ok installed" || missing+=("${package}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y --no-install-recommends "${missing[@]}" \
    || { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${missing[@]}"; }
}
# Sourced by the installers in scripts/deps/: `. "$(dirname "$0")/../lib/apt.sh"`.
