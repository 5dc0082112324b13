//! Kubernetes' own kinds (Service, Deployment, Ingress, ...) against the Kubernetes OpenAPI
//! schema with `kubernetes-validate --strict`, which rejects unknown and misspelled fields as
//! `kubectl apply --validate=strict` does. Custom resources get their metadata checked the same
//! way; their spec is crd_schema's business.

use std::sync::OnceLock;

use serde_json::Value;

use crate::support::{
    CoreVerdict, CrdSchemas, Manifest, all_manifests, kubernetes_validate, metadata_probe,
};

/// Kinds no schema is available for here, with the reason. Their metadata is still checked.
const WITHOUT_SCHEMA: &[(&str, &str, &str)] = &[
    // cert-manager's CRDs are not among the release files CI has (../shared/schemas); drop
    // cert-manager's CRD file into BOOKINFO_CRD_DIR and these are checked like Istio's.
    (
        "cert-manager.io",
        "ClusterIssuer",
        "cert-manager CRD not available",
    ),
    (
        "cert-manager.io",
        "Certificate",
        "cert-manager CRD not available",
    ),
];

struct Verdicts {
    /// Objects sent whole, with their verdicts.
    objects: Vec<(&'static Manifest, CoreVerdict)>,
    /// Custom resources whose metadata was sent, with the verdicts.
    metadata: Vec<(&'static Manifest, CoreVerdict)>,
}

fn verdicts() -> &'static Verdicts {
    static VERDICTS: OnceLock<Verdicts> = OnceLock::new();
    VERDICTS.get_or_init(|| {
        let crds = CrdSchemas::get();
        let (custom, core): (Vec<&'static Manifest>, Vec<&'static Manifest>) = all_manifests()
            .iter()
            .partition(|m| crds.knows(m) || is_without_schema(m));
        let mut values: Vec<Value> = core.iter().map(|m| m.value.clone()).collect();
        values.extend(custom.iter().map(|m| metadata_probe(m)));
        let mut results = kubernetes_validate(&values).into_iter();
        Verdicts {
            objects: core
                .iter()
                .zip(results.by_ref())
                .map(|(m, verdict)| (*m, verdict))
                .collect(),
            metadata: custom
                .iter()
                .zip(results.by_ref())
                .map(|(m, verdict)| (*m, verdict))
                .collect(),
        }
    })
}

fn is_without_schema(manifest: &Manifest) -> bool {
    WITHOUT_SCHEMA
        .iter()
        .any(|(group, kind, _)| manifest.group() == *group && manifest.kind() == *kind)
        && !CrdSchemas::get().knows(manifest)
}

#[test]
fn kubernetes_objects_validate_strictly_against_the_kubernetes_schema() {
    let verdicts = verdicts();
    assert!(
        verdicts.objects.len() > 50,
        "too few objects checked: {}",
        verdicts.objects.len()
    );
    let problems: Vec<String> = verdicts
        .objects
        .iter()
        .filter_map(|(manifest, verdict)| match verdict {
            CoreVerdict::Passed => None,
            CoreVerdict::NoSchema => Some(format!(
                "{}: no Kubernetes schema and no CRD for {}",
                manifest.id(),
                manifest.api_version()
            )),
            CoreVerdict::Failed(report) => Some(format!("{}:\n{report}", manifest.id())),
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn custom_resources_have_valid_kubernetes_metadata() {
    let problems: Vec<String> = verdicts()
        .metadata
        .iter()
        .filter(|(_, verdict)| *verdict != CoreVerdict::Passed)
        .map(|(manifest, verdict)| format!("{}: {verdict:?}", manifest.id()))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn only_the_cert_manager_objects_go_without_a_schema() {
    let unchecked: Vec<String> = all_manifests()
        .iter()
        .filter(|m| is_without_schema(m))
        .map(|m| format!("{}/{}", m.kind(), m.name()))
        .collect();
    assert_eq!(
        unchecked,
        [
            "ClusterIssuer/letsencrypt-staging",
            "Certificate/istio-ingressgateway-certs"
        ]
    );
}
