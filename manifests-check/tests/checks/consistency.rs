//! The same object written in several files stays the same, and bookinfo.yaml holds exactly
//! upstream's set, with images named by one scheme.

use std::collections::BTreeSet;

use crate::support::{
    Manifest, all_manifests, by_kind_and_name, containers, manifests_in, manifests_of_kind,
};

/// Default image references: `<registry>/examples-bookinfo-<service>-<version>:<tag>`.
pub const REGISTRY: &str = "localhost:5000/bookinfo-rs";
pub const TAG: &str = "latest";

#[test]
fn bookinfo_psa_yaml_holds_the_same_objects_as_bookinfo_yaml() {
    let values = |file: &str| {
        manifests_in(file)
            .into_iter()
            .map(|m| m.value)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        values("platform/kube/bookinfo-psa.yaml"),
        values("platform/kube/bookinfo.yaml")
    );
}

#[test]
fn bookinfo_yaml_holds_upstreams_services_accounts_and_deployments() {
    let objects: BTreeSet<String> = manifests_in("platform/kube/bookinfo.yaml")
        .iter()
        .map(|m| format!("{}/{}", m.kind(), m.name()))
        .collect();
    let expected: BTreeSet<String> = [
        "Service/details",
        "Service/ratings",
        "Service/reviews",
        "Service/productpage",
        "ServiceAccount/bookinfo-details",
        "ServiceAccount/bookinfo-ratings",
        "ServiceAccount/bookinfo-reviews",
        "ServiceAccount/bookinfo-productpage",
        "Deployment/details-v1",
        "Deployment/ratings-v1",
        "Deployment/reviews-v1",
        "Deployment/reviews-v2",
        "Deployment/reviews-v3",
        "Deployment/productpage-v1",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(objects, expected);
    for manifest in manifests_in("platform/kube/bookinfo.yaml") {
        let (label, value) = match manifest.kind() {
            "Service" => ("service", manifest.name().to_string()),
            "ServiceAccount" => (
                "account",
                manifest.name().trim_start_matches("bookinfo-").to_string(),
            ),
            _ => (
                "app",
                manifest
                    .name()
                    .rsplit_once('-')
                    .map(|(app, _)| app.to_string())
                    .unwrap_or_default(),
            ),
        };
        // upstream's `kubectl apply -f bookinfo.yaml -l service=reviews` style selections
        assert_eq!(
            manifest.value["metadata"]["labels"][label],
            value.as_str(),
            "{}",
            manifest.id()
        );
    }
}

/// A Deployment defined in several files (bookinfo.yaml, its dual-stack and PSA twins, the
/// single-service files) must be identical everywhere.
#[test]
fn a_deployment_is_the_same_in_every_file_that_defines_it() {
    for (name, copies) in by_kind_and_name("Deployment") {
        for copy in &copies[1..] {
            assert_eq!(
                copy.value, copies[0].value,
                "Deployment {name}: {} differs from {}",
                copy.file, copies[0].file
            );
        }
    }
}

#[test]
fn a_service_account_is_the_same_in_every_file_that_defines_it() {
    for (name, copies) in by_kind_and_name("ServiceAccount") {
        for copy in &copies[1..] {
            assert_eq!(
                copy.value, copies[0].value,
                "ServiceAccount {name}: {} differs",
                copy.file
            );
        }
    }
}

/// Services differ only where a file exists to differ: address families and the NodePort type.
#[test]
fn a_service_is_the_same_in_every_file_but_for_address_families_and_type() {
    let normalised = |manifest: &Manifest| {
        let mut value = manifest.value.clone();
        if let Some(spec) = value["spec"].as_object_mut() {
            for field in ["ipFamilyPolicy", "ipFamilies", "type"] {
                spec.remove(field);
            }
        }
        value
    };
    for (name, copies) in by_kind_and_name("Service") {
        for copy in &copies[1..] {
            assert_eq!(
                normalised(copy),
                normalised(copies[0]),
                "Service {name}: {} differs",
                copy.file
            );
        }
    }
}

#[test]
fn dual_stack_files_require_dual_stack_for_every_service() {
    let dual_stack_files = all_manifests()
        .iter()
        .filter(|m| m.file.ends_with("-dualstack.yaml"));
    let mut services = 0;
    for manifest in dual_stack_files.filter(|m| m.kind() == "Service") {
        services += 1;
        assert_eq!(
            manifest.spec()["ipFamilyPolicy"],
            "RequireDualStack",
            "{}",
            manifest.id()
        );
        assert_eq!(
            manifest.spec()["ipFamilies"].as_array().map(Vec::len),
            Some(2),
            "{}",
            manifest.id()
        );
    }
    assert_eq!(services, 4 + 1 + 1 + 1);
    for manifest in all_manifests()
        .iter()
        .filter(|m| !m.file.ends_with("-dualstack.yaml"))
    {
        assert!(
            manifest.spec().get("ipFamilyPolicy").is_none(),
            "{}",
            manifest.id()
        );
    }
}

/// Every Bookinfo image follows `<registry>/examples-bookinfo-<app>-<image version>:<tag>`,
/// so that one substitution (docs/deploy.md, kustomization.yaml) moves them all.
#[test]
fn every_bookinfo_image_follows_the_naming_scheme() {
    let mut images = BTreeSet::new();
    for deployment in manifests_of_kind("apps/v1", "Deployment") {
        let app = crate::support::app_label(deployment);
        if !crate::support::SERVICES.contains(&app) {
            continue;
        }
        for container in containers(deployment) {
            let image = container["image"].as_str().unwrap_or_default();
            let prefix = format!("{REGISTRY}/examples-bookinfo-{app}-");
            let suffix = format!(":{TAG}");
            assert!(
                image.starts_with(&prefix) && image.ends_with(&suffix),
                "{}: image {image}",
                deployment.id()
            );
            images.insert(image.to_string());
        }
    }
    let names: BTreeSet<&str> = images
        .iter()
        .map(|image| {
            image
                .trim_start_matches(&format!("{REGISTRY}/examples-bookinfo-"))
                .trim_end_matches(&format!(":{TAG}"))
        })
        .collect();
    let expected: BTreeSet<&str> = [
        "details-v1",
        "details-v2",
        "ratings-v1",
        "ratings-v2",
        "reviews-v1",
        "reviews-v2",
        "reviews-v3",
        "productpage-v1",
    ]
    .into_iter()
    .collect();
    assert_eq!(names, expected);
}

/// The databases run upstream-compatible official images, pinned to a version.
#[test]
fn database_images_are_official_and_pinned() {
    let mut images = Vec::new();
    for deployment in manifests_of_kind("apps/v1", "Deployment") {
        if !crate::support::DATABASES.contains(&crate::support::app_label(deployment)) {
            continue;
        }
        for container in containers(deployment) {
            images.push(
                container["image"]
                    .as_str()
                    .map(String::from)
                    .unwrap_or_default(),
            );
        }
    }
    images.sort();
    assert_eq!(
        images,
        [
            "docker.io/library/mongo:8.0.8",
            "docker.io/library/mysql:9.3.0"
        ]
    );
}
