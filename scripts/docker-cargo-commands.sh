#!/usr/bin/env bash
# Prints every `cargo build` command that Dockerfile.productpage and Dockerfile.service run, one
# per line, with the build arguments filled in for each image they build, so that CI can run
# exactly these (.ci/run does) and a change that breaks an image's build fails before anyone
# builds the image.
#
# A command inside a `case` branch of the Dockerfile is printed once per pattern of its label:
# `details:*|ratings:*) cargo build -p "${SERVICE}"` gives one command for details and one for
# ratings; `reviews:v1|reviews:v2) ... --features "${SERVICE_VERSION}"` one per version.
# manifests-check tests that the list is complete.
set -euo pipefail
cd "$(dirname "$0")/.."

substitute() { # template service version
  local command="$1"
  command="${command//\$\{SERVICE\}/$2}"
  command="${command//\$\{SERVICE_VERSION\}/$3}"
  command="${command//\"/}"
  if [[ "${command}" == *'$'* ]]; then
    echo "docker-cargo-commands.sh: cannot expand '${command}'" >&2
    exit 1
  fi
  echo "${command}"
}

branch='^[[:space:]]*([^[:space:]()]+)\)[[:space:]]*(cargo build[^;]*);;'
plain='(cargo build[^;&|\\]*)'

for dockerfile in Dockerfile.productpage Dockerfile.service; do
  while IFS= read -r line; do
    if [[ "${line}" =~ ^[[:space:]]*# ]]; then
      continue
    elif [[ "${line}" =~ ${branch} ]]; then
      labels="${BASH_REMATCH[1]}"
      template="${BASH_REMATCH[2]%"${BASH_REMATCH[2]##*[![:space:]]}"}"
      IFS='|' read -r -a patterns <<<"${labels}"
      for pattern in "${patterns[@]}"; do
        service="${pattern%%:*}"
        version="${pattern#*:}"
        if [[ "${version}" == '*' && "${template}" == *'SERVICE_VERSION'* ]]; then
          echo "docker-cargo-commands.sh: '${pattern}' leaves SERVICE_VERSION open in '${template}'" >&2
          exit 1
        fi
        substitute "${template}" "${service}" "${version}"
      done
    elif [[ "${line}" =~ ${plain} ]]; then
      template="${BASH_REMATCH[1]%"${BASH_REMATCH[1]##*[![:space:]]}"}"
      substitute "${template}" "" ""
    fi
  done <"${dockerfile}"
done
