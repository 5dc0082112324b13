//! A Bookinfo topology with made-up addresses, and shortcuts into the generated configuration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mesh::istio::{self, ResourceSet};
use mesh::{EnvoyConfig, Topology, Workload, translate};
use serde_json::Value;

/// Bookinfo: details v1, ratings v1, reviews v1–v3, productpage v1, each on its own port.
pub fn bookinfo() -> Topology {
    let workload = |app: &str, version: &str, port: u16| {
        Workload::new(app, version, format!("127.0.0.1:{port}").parse().unwrap())
    };
    Topology::new()
        .with_service("details", vec![workload("details", "v1", 10001)])
        .with_service("ratings", vec![workload("ratings", "v1", 10002)])
        .with_service(
            "reviews",
            vec![
                workload("reviews", "v1", 10003),
                workload("reviews", "v2", 10004),
                workload("reviews", "v3", 10005),
            ],
        )
        .with_service("productpage", vec![workload("productpage", "v1", 10006)])
}

/// Applies each YAML text in order, as `kubectl apply -f` one after the other.
pub fn resources(texts: &[&str]) -> ResourceSet {
    let mut set = ResourceSet::new();
    for text in texts {
        set.apply(istio::parse(text).unwrap());
    }
    set
}

pub fn translate_all(texts: &[&str]) -> EnvoyConfig {
    translate(&bookinfo(), &resources(texts)).unwrap()
}

/// The routes of `service`'s outbound listener.
pub fn sidecar_routes(config: &EnvoyConfig, service: &str) -> Vec<Value> {
    let name = format!("{service}.default.svc.cluster.local:9080");
    let route_config = config.route_config(&name).expect("route config");
    let hosts = route_config["virtual_hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 1, "one virtual host per outbound listener");
    hosts[0]["routes"].as_array().unwrap().clone()
}

/// The ingress route configuration's virtual hosts.
pub fn ingress_hosts(config: &EnvoyConfig) -> Vec<Value> {
    config.route_config("http.8080").expect("ingress routes")["virtual_hosts"]
        .as_array()
        .unwrap()
        .clone()
}

pub fn cluster<'a>(config: &'a EnvoyConfig, name: &str) -> &'a Value {
    config
        .cluster(name)
        .unwrap_or_else(|| panic!("no cluster {name}"))
}

/// The `host:port` of every endpoint of a cluster.
pub fn endpoints(cluster: &Value) -> Vec<String> {
    cluster["load_assignment"]["endpoints"][0]["lb_endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|endpoint| {
            let address = &endpoint["endpoint"]["address"]["socket_address"];
            format!(
                "{}:{}",
                address["address"].as_str().unwrap(),
                address["port_value"]
            )
        })
        .collect()
}

pub fn reviews_cluster(subset: &str) -> String {
    format!("outbound|9080|{subset}|reviews.default.svc.cluster.local")
}
