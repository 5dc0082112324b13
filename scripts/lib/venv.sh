#!/usr/bin/env bash
# Helper for the installers that put Python tools into the project's tools venv
# (target/tools/venv, run from the repository root): `venv_install PIN...` creates the venv if it
# is missing and pip-installs each `name==version` that is not installed at that version. Creating
# and installing are serialised with a lock, since several installers share the venv.
# Sourced by the installers in scripts/deps/: `. "$(dirname "$0")/../lib/venv.sh"`.
TOOLS_VENV="target/tools/venv"

venv_install() {
  mkdir -p target/tools
  (
    flock 9
    if [ ! -x "${TOOLS_VENV}/bin/python" ]; then
      python3 -m venv "${TOOLS_VENV}"
    fi
    local missing=() pin name wanted installed
    for pin in "$@"; do
      name="${pin%%==*}"
      wanted="${pin##*==}"
      installed="$({ "${TOOLS_VENV}/bin/python" -m pip show "${name}" 2>/dev/null || true; } | sed -n 's/^Version: //p')"
      [ "${installed}" = "${wanted}" ] || missing+=("${pin}")
    done
    if [ ${#missing[@]} -gt 0 ]; then
      "${TOOLS_VENV}/bin/python" -m pip install --quiet --disable-pip-version-check "${missing[@]}" >&2
    fi
  ) 9>target/tools/venv.lock
}
