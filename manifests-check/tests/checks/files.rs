//! The file set: every file upstream has, each one valid YAML holding Kubernetes objects.

use crate::support::{parse_documents, read_repo_file, repo_root, run, text, yaml_files};

/// Upstream's file names (istio/istio samples/bookinfo), so that the istio.io commands work
/// with only the path prefix changed.
const UPSTREAM_FILES: &[&str] = &[
    "platform/kube/bookinfo.yaml",
    "platform/kube/bookinfo-psa.yaml",
    "platform/kube/bookinfo-dualstack.yaml",
    "platform/kube/bookinfo-details.yaml",
    "platform/kube/bookinfo-details-dualstack.yaml",
    "platform/kube/bookinfo-details-v2.yaml",
    "platform/kube/bookinfo-ratings.yaml",
    "platform/kube/bookinfo-ratings-dualstack.yaml",
    "platform/kube/bookinfo-ratings-discovery.yaml",
    "platform/kube/bookinfo-ratings-discovery-dualstack.yaml",
    "platform/kube/bookinfo-ratings-v2.yaml",
    "platform/kube/bookinfo-ratings-v2-mysql.yaml",
    "platform/kube/bookinfo-ratings-v2-mysql-vm.yaml",
    "platform/kube/bookinfo-reviews-v2.yaml",
    "platform/kube/bookinfo-db.yaml",
    "platform/kube/bookinfo-mysql.yaml",
    "platform/kube/bookinfo-versions.yaml",
    "platform/kube/bookinfo-ingress.yaml",
    "platform/kube/productpage-nodeport.yaml",
    "platform/kube/bookinfo-certificate.yaml",
    "platform/kube/cleanup.sh",
    "platform/kube/README.md",
    "networking/bookinfo-gateway.yaml",
    "networking/certmanager-gateway.yaml",
    "networking/destination-rule-all.yaml",
    "networking/destination-rule-all-mtls.yaml",
    "networking/destination-rule-reviews.yaml",
    "networking/egress-rule-google-apis.yaml",
    "networking/fault-injection-details-v1.yaml",
    "networking/virtual-service-all-v1.yaml",
    "networking/virtual-service-details-v2.yaml",
    "networking/virtual-service-ratings-db.yaml",
    "networking/virtual-service-ratings-mysql.yaml",
    "networking/virtual-service-ratings-mysql-vm.yaml",
    "networking/virtual-service-ratings-test-abort.yaml",
    "networking/virtual-service-ratings-test-delay.yaml",
    "networking/virtual-service-reviews-50-v3.yaml",
    "networking/virtual-service-reviews-80-20.yaml",
    "networking/virtual-service-reviews-90-10.yaml",
    "networking/virtual-service-reviews-jason-v2-v3.yaml",
    "networking/virtual-service-reviews-test-v2.yaml",
    "networking/virtual-service-reviews-v2-v3.yaml",
    "networking/virtual-service-reviews-v3.yaml",
    "gateway-api/bookinfo-gateway.yaml",
    "gateway-api/route-all-v1.yaml",
    "gateway-api/route-reviews-50-v3.yaml",
    "gateway-api/route-reviews-90-10.yaml",
    "gateway-api/route-reviews-v1.yaml",
    "gateway-api/route-reviews-v3.yaml",
];

#[test]
fn every_file_upstream_has_is_here() {
    let missing: Vec<&str> = UPSTREAM_FILES
        .iter()
        .copied()
        .filter(|file| !repo_root().join(file).is_file())
        .collect();
    assert!(missing.is_empty(), "missing: {missing:?}");
    assert!(
        repo_root()
            .join("platform/kube/kustomization.yaml")
            .is_file()
    );
}

#[test]
fn every_yaml_file_parses_into_objects_with_api_version_kind_and_name() {
    let mut problems = Vec::new();
    for file in yaml_files() {
        match parse_documents(&read_repo_file(&file)) {
            Err(error) => problems.push(format!("{file}: {error}")),
            Ok(documents) if documents.is_empty() => problems.push(format!("{file}: no object")),
            Ok(documents) => {
                for (index, document) in documents.iter().enumerate() {
                    let named = document.pointer("/metadata/name").is_some()
                        || document["kind"] == "Kustomization";
                    if !document["apiVersion"].is_string()
                        || !document["kind"].is_string()
                        || !named
                    {
                        problems.push(format!(
                            "{file}#{index}: apiVersion, kind or metadata.name missing"
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn istio_objects_use_networking_istio_io_v1_and_routes_gateway_api_v1() {
    let mut problems = Vec::new();
    for manifest in crate::support::all_manifests() {
        let group = manifest.group();
        let wanted = match group {
            "networking.istio.io" | "security.istio.io" => "v1",
            "gateway.networking.k8s.io" => "v1",
            _ => continue,
        };
        if manifest.version() != wanted {
            problems.push(manifest.id());
        }
    }
    assert!(problems.is_empty(), "not on the v1 API: {problems:?}");
}

#[test]
fn cleanup_sh_is_executable_bash_without_syntax_errors() {
    let script = repo_root().join("platform/kube/cleanup.sh");
    let output = run(
        std::path::Path::new("bash"),
        &["-n", script.to_str().unwrap_or_default()],
        &repo_root(),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&script)
            .map(|m| m.permissions().mode())
            .unwrap_or(0);
        assert!(mode & 0o111 != 0, "cleanup.sh is not executable");
    }
}
