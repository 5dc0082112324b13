//! Proof that the schema checks are strict: the same object passes as written and fails with
//! one field name misspelled, for each validator.

use serde_json::{Value, json};

use crate::support::{
    CoreVerdict, CrdSchemas, Manifest, all_manifests, kubernetes_validate, make_strict,
    metadata_probe,
};

fn find(file: &str, kind: &str, name: &str) -> Manifest {
    all_manifests()
        .iter()
        .find(|m| m.file == file && m.kind() == kind && m.name() == name)
        .cloned()
        .unwrap_or_else(|| panic!("{kind}/{name} not in {file}"))
}

/// Renames the key at `pointer` (e.g. `/spec/http/0/route`) to `new_name`.
fn rename(value: &mut Value, pointer: &str, new_name: &str) {
    let (parent, old) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    let object = value
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {parent}"));
    let field = object
        .remove(old)
        .unwrap_or_else(|| panic!("no field {old} at {parent}"));
    object.insert(new_name.to_string(), field);
}

fn crd_problems(manifest: &Manifest) -> Vec<String> {
    CrdSchemas::get()
        .problems(manifest)
        .unwrap_or_else(|| panic!("no CRD for {}", manifest.id()))
}

#[test]
fn a_misspelled_field_in_a_virtual_service_fails_crd_validation() {
    let mut manifest = find(
        "networking/virtual-service-reviews-test-v2.yaml",
        "VirtualService",
        "reviews",
    );
    assert_eq!(crd_problems(&manifest), Vec::<String>::new());
    rename(
        &mut manifest.value,
        "/spec/http/0/route/0/destination/subset",
        "subest",
    );
    let problems = crd_problems(&manifest);
    assert!(
        problems.iter().any(|p| p.contains("subest")),
        "the misspelled field went unnoticed: {problems:?}"
    );
}

#[test]
fn a_misspelled_optional_field_in_a_destination_rule_fails_crd_validation() {
    let mut manifest = find(
        "networking/destination-rule-reviews.yaml",
        "DestinationRule",
        "reviews",
    );
    assert_eq!(crd_problems(&manifest), Vec::<String>::new());
    rename(
        &mut manifest.value,
        "/spec/trafficPolicy/loadBalancer",
        "loadBalancers",
    );
    assert!(!crd_problems(&manifest).is_empty());
}

#[test]
fn a_misspelled_field_in_an_httproute_fails_crd_validation() {
    let mut manifest = find(
        "gateway-api/route-reviews-90-10.yaml",
        "HTTPRoute",
        "reviews",
    );
    assert_eq!(crd_problems(&manifest), Vec::<String>::new());
    rename(
        &mut manifest.value,
        "/spec/rules/0/backendRefs/0/weight",
        "wieght",
    );
    assert!(!crd_problems(&manifest).is_empty());
}

#[test]
fn a_misspelled_field_in_a_deployment_fails_kubernetes_validation() {
    let manifest = find("platform/kube/bookinfo.yaml", "Deployment", "details-v1");
    let mut misspelled = manifest.value.clone();
    rename(
        &mut misspelled,
        "/spec/template/spec/containers/0/imagePullPolicy",
        "imagePulPolicy",
    );
    let verdicts = kubernetes_validate(&[manifest.value.clone(), misspelled]);
    assert_eq!(verdicts[0], CoreVerdict::Passed);
    match &verdicts[1] {
        CoreVerdict::Failed(report) => assert!(report.contains("imagePulPolicy"), "{report}"),
        other => panic!("the misspelled field went unnoticed: {other:?}"),
    }
}

#[test]
fn a_misspelled_metadata_field_in_a_custom_resource_fails_kubernetes_validation() {
    let mut manifest = find(
        "networking/virtual-service-reviews-v3.yaml",
        "VirtualService",
        "reviews",
    );
    manifest.value["metadata"]["lables"] = json!({"app": "reviews"});
    let verdicts = kubernetes_validate(&[metadata_probe(&manifest)]);
    assert!(matches!(&verdicts[0], CoreVerdict::Failed(report) if report.contains("lables")));
}

#[test]
fn make_strict_closes_listed_objects_and_leaves_open_ones_and_junctor_branches_alone() {
    let mut schema = json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "oneOf": [{"properties": {"a": {"enum": ["x"]}}}],
                "properties": {
                    "a": {"type": "string"},
                    "b": {"type": "string"},
                    "list": {"type": "array", "items": {"type": "object", "properties": {"c": {}}}},
                    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                             "properties": {"d": {}}},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}}
                }
            }
        }
    });
    make_strict(&mut schema);
    let validator = jsonschema::draft4::new(&schema).unwrap_or_else(|e| panic!("{e}"));
    let valid = json!({"spec": {"a": "x", "b": "y", "list": [{"c": 1}], "free": {"d": 1, "e": 2},
                                "labels": {"any": "thing"}}});
    assert!(validator.is_valid(&valid));
    for invalid in [
        json!({"spce": {}}),
        json!({"spec": {"bb": "y"}}),
        json!({"spec": {"list": [{"cc": 1}]}}),
    ] {
        assert!(!validator.is_valid(&invalid), "accepted {invalid}");
    }
}
