//! Istio and Gateway API objects against their CRDs' `openAPIV3Schema`, made strict (see
//! `support::make_strict`), from the release files in BOOKINFO_CRD_DIR (default
//! `../shared/schemas`).

use crate::support::{CrdSchemas, all_manifests};

fn is_custom(group: &str) -> bool {
    group.ends_with(".istio.io") || group == "gateway.networking.k8s.io"
}

#[test]
fn istio_and_gateway_api_objects_validate_strictly_against_their_crds() {
    let crds = CrdSchemas::get();
    let mut checked = 0;
    let mut problems = Vec::new();
    for manifest in all_manifests().iter().filter(|m| is_custom(m.group())) {
        match crds.problems(manifest) {
            None => problems.push(format!(
                "{}: no CRD for {} {} in {}",
                manifest.id(),
                manifest.api_version(),
                manifest.kind(),
                crate::support::crd_dir().display()
            )),
            Some(errors) => {
                checked += 1;
                problems.extend(
                    errors
                        .into_iter()
                        .map(|e| format!("{}: {e}", manifest.id())),
                );
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked >= 40, "only {checked} custom resources checked");
}
