//! `kubectl kustomize platform/kube` renders bookinfo.yaml with the images of
//! kustomization.yaml, the one place to set the registry and tag.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::consistency::{REGISTRY, TAG};
use crate::support::{
    CoreVerdict, kubernetes_validate, manifests_in, parse_documents, read_repo_file, repo_root,
    run, scratch_dir, text, tool,
};

fn kustomize(dir: &Path) -> Vec<Value> {
    let kubectl = tool("kubectl", "KUBECTL");
    let output = run(
        &kubectl,
        &["kustomize", dir.to_str().unwrap_or_default()],
        &repo_root(),
    );
    assert!(
        output.status.success(),
        "kubectl kustomize {} failed:\n{}",
        dir.display(),
        text(&output.stderr)
    );
    parse_documents(&text(&output.stdout)).unwrap_or_else(|error| panic!("rendered YAML: {error}"))
}

fn images(objects: &[Value]) -> BTreeSet<String> {
    objects
        .iter()
        .flat_map(|o| {
            o.pointer("/spec/template/spec/containers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|c| c["image"].as_str().map(String::from))
        .collect()
}

#[test]
fn kubectl_kustomize_renders_bookinfo_yaml_and_the_result_validates() {
    let rendered = kustomize(&repo_root().join("platform/kube"));
    let mut expected: Vec<Value> = manifests_in("platform/kube/bookinfo.yaml")
        .into_iter()
        .map(|m| m.value)
        .collect();
    let key = |v: &Value| format!("{}/{}", v["kind"], v["metadata"]["name"]);
    let mut actual = rendered.clone();
    expected.sort_by_key(key);
    actual.sort_by_key(key);
    assert_eq!(
        actual, expected,
        "with the default images, kustomize must change nothing"
    );
    let verdicts = kubernetes_validate(&rendered);
    assert!(
        verdicts.iter().all(|v| *v == CoreVerdict::Passed),
        "{verdicts:?}"
    );
}

#[test]
fn the_kustomization_maps_exactly_the_images_its_resources_use() {
    let kustomization = parse_documents(&read_repo_file("platform/kube/kustomization.yaml"))
        .unwrap_or_else(|error| panic!("{error}"))
        .remove(0);
    let mapped: BTreeSet<String> = kustomization["images"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| {
            format!(
                "{}:{}",
                entry["name"].as_str().unwrap_or_default(),
                entry["newTag"].as_str().unwrap_or_default()
            )
        })
        .collect();
    let used = images(
        &manifests_in("platform/kube/bookinfo.yaml")
            .into_iter()
            .map(|m| m.value)
            .collect::<Vec<_>>(),
    );
    assert_eq!(mapped, used);
    for entry in kustomization["images"].as_array().into_iter().flatten() {
        assert_eq!(
            entry["newName"], entry["name"],
            "the defaults map each image to itself"
        );
    }
}

/// The substitution docs/deploy.md and kustomization.yaml's comment give, applied to a copy.
#[test]
fn changing_registry_and_tag_in_the_kustomization_moves_every_image() {
    let dir = scratch_dir("kustomize");
    for file in ["kustomization.yaml", "bookinfo.yaml"] {
        let mut content = read_repo_file(&format!("platform/kube/{file}"));
        if file == "kustomization.yaml" {
            content = content
                .lines()
                .map(|line| {
                    if let Some(rest) = line
                        .trim_start()
                        .strip_prefix(&format!("newName: {REGISTRY}/"))
                    {
                        format!("  newName: registry.example.com/team/{rest}")
                    } else if line.trim_start().starts_with("newTag:") {
                        "  newTag: 1.2.3".to_string()
                    } else {
                        line.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
        }
        std::fs::write(dir.join(file), content).unwrap_or_else(|error| panic!("{error}"));
    }
    let rendered = images(&kustomize(&dir));
    assert_eq!(rendered.len(), 6);
    for image in rendered {
        assert!(
            image.starts_with("registry.example.com/team/examples-bookinfo-")
                && image.ends_with(":1.2.3"),
            "{image} kept its default ({REGISTRY}, {TAG})"
        );
    }
}
