//! Checks of the deployment files, without a cluster: the Kubernetes, Istio and Gateway API
//! manifests in `platform/`, `networking/` and `gateway-api/`, and the Dockerfiles.
//!
//! Everything lives in the integration tests (`tests/checks/`); this library is empty. Run
//! them with `cargo test -p bookinfo-manifests-check` after `scripts/deps/python-tools.sh`.
