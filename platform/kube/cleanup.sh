#!/usr/bin/env bash
# Copyright Bookinfo-in-Rust authors. Licensed under the Apache License, Version 2.0.
#
# Removes Bookinfo from a namespace: every Istio routing and authorization object in it (as
# upstream's cleanup does: DestinationRules, VirtualServices, Gateways, AuthorizationPolicies),
# the Gateway API routes and gateways when those CRDs are installed, then the objects of every
# file in this directory that the istio.io tasks apply. What is not there is skipped.
#
#   NAMESPACE=bookinfo platform/kube/cleanup.sh    # or run it and answer the prompt
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Ask only when someone is there to answer.
if [[ -t 0 && -z "${NAMESPACE:-}" ]]; then
  read -r -p "namespace ? [default] " NAMESPACE
fi
NAMESPACE="${NAMESPACE:-default}"
if ! kubectl get namespace "${NAMESPACE}" >/dev/null 2>&1; then
  echo "NAMESPACE ${NAMESPACE} not found; using default."
  NAMESPACE=default
fi
echo "using NAMESPACE=${NAMESPACE}"

delete_all() {
  kubectl delete --namespace "${NAMESPACE}" --all --ignore-not-found "$1"
}

for kind in destinationrules.networking.istio.io virtualservices.networking.istio.io \
  gateways.networking.istio.io authorizationpolicies.security.istio.io; do
  if kubectl get crd "${kind}" >/dev/null 2>&1; then
    delete_all "${kind}"
  fi
done

if kubectl get crd gateways.gateway.networking.k8s.io >/dev/null 2>&1; then
  delete_all httproutes.gateway.networking.k8s.io
  delete_all gateways.gateway.networking.k8s.io
  kubectl delete --namespace "${NAMESPACE}" --ignore-not-found -f "${here}/bookinfo-versions.yaml"
fi

echo "Application cleanup may take up to one minute"
for file in bookinfo-traffic.yaml bookinfo-ingress.yaml bookinfo-details-v2.yaml \
  bookinfo-ratings-v2.yaml bookinfo-ratings-v2-mysql.yaml bookinfo-ratings-v2-mysql-vm.yaml \
  bookinfo-db.yaml bookinfo-mysql.yaml bookinfo.yaml; do
  kubectl delete --namespace "${NAMESPACE}" --ignore-not-found -f "${here}/${file}"
done

# Deleting a Deployment returns at once; wait for its pods so that a new install that follows
# does not meet the old ones still shutting down.
kubectl wait --namespace "${NAMESPACE}" --for=delete pod --timeout=60s \
  --selector 'app in (details,ratings,reviews,productpage,mongodb,mysqldb,bookinfo-traffic)' || true

echo "Application cleanup successful"
