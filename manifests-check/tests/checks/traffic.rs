//! The traffic generator's Deployment: `bookinfo traffic` aimed at productpage, from the
//! launcher's image, on pods that no Bookinfo Service or DestinationRule takes for its own.

use serde_json::Value;

use crate::support::{Manifest, SERVICES, app_label, containers, manifests_of_kind, pod_spec};

const FILE: &str = "platform/kube/bookinfo-traffic.yaml";

fn traffic_deployment() -> &'static Manifest {
    manifests_of_kind("apps/v1", "Deployment")
        .find(|deployment| deployment.file == FILE)
        .unwrap_or_else(|| panic!("{FILE} holds no Deployment"))
}

fn pod_labels() -> &'static Value {
    &traffic_deployment().value["spec"]["template"]["metadata"]["labels"]
}

/// Whether every label of `selector` is on the traffic pods.
fn selects_traffic(selector: &Value) -> bool {
    let Some(selector) = selector.as_object().filter(|selector| !selector.is_empty()) else {
        return false;
    };
    selector
        .iter()
        .all(|(key, value)| pod_labels().get(key) == Some(value))
}

#[test]
fn the_traffic_deployment_runs_bookinfo_traffic_against_productpage_9080() {
    let deployment = traffic_deployment();
    let containers = containers(deployment);
    assert_eq!(containers.len(), 1, "{}", deployment.id());
    let args: Vec<&str> = containers[0]["args"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(args.first(), Some(&"traffic"), "{args:?}");
    let url = args
        .iter()
        .position(|arg| *arg == "--url")
        .and_then(|at| args.get(at + 1));
    assert_eq!(url, Some(&"http://productpage:9080"), "{args:?}");
    assert!(
        args.iter()
            .any(|arg| *arg == "--duration" || *arg == "--requests"),
        "each run is bounded: {args:?}"
    );
    let image = containers[0]["image"].as_str().unwrap_or_default();
    assert_eq!(
        image, "localhost:5000/bookinfo-rs/examples-bookinfo-traffic:latest",
        "the image Dockerfile.service builds with SERVICE=bookinfo"
    );
    assert_eq!(
        pod_spec(deployment)["serviceAccountName"],
        "bookinfo-traffic"
    );
}

#[test]
fn no_bookinfo_service_or_destination_rule_selects_the_traffic_pods() {
    assert!(
        !SERVICES.contains(&app_label(traffic_deployment())),
        "the traffic pods' app label is a Bookinfo service's"
    );
    for service in manifests_of_kind("v1", "Service") {
        assert!(
            !selects_traffic(&service.spec()["selector"]),
            "{} selects the traffic pods",
            service.id()
        );
    }
    for rule in manifests_of_kind("networking.istio.io/v1", "DestinationRule") {
        for subset in rule.spec()["subsets"].as_array().into_iter().flatten() {
            assert!(
                !selects_traffic(&subset["labels"]),
                "{} subset {} selects the traffic pods",
                rule.id(),
                subset["name"]
            );
        }
    }
}

#[test]
fn the_selection_check_sees_a_label_a_subset_would_select() {
    assert!(selects_traffic(
        &serde_json::json!({"app": "bookinfo-traffic"})
    ));
    assert!(!selects_traffic(&serde_json::json!({"version": "v1"})));
    assert!(!selects_traffic(&serde_json::json!({})));
}
