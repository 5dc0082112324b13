//! Pods with sidecars: each pod's inbound listener, its own clusters with its certificate, its
//! own routes (sourceLabels), as PeerAuthentication and DestinationRules shape them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;

use mesh::{EnvoyConfig, Layout, Pod, Sidecars, Topology, translate};
use serde_json::Value;

use crate::fixtures::{DESTINATION_RULE_ALL, REVIEWS_V3, WORKLOADS};
use crate::helpers::{cluster, resources};

/// Bookinfo's pods (apps on made-up ports), the curl pod, the Gateway API gateway's and the
/// waypoint's, in block 127.30/16.
pub(crate) fn topology() -> Topology {
    let mut sidecars = Sidecars::new(30).with_pod(Pod::ingress_gateway());
    for (index, (app, version)) in WORKLOADS.into_iter().enumerate() {
        let listens: SocketAddr = format!("127.0.0.1:{}", 10001 + index).parse().unwrap();
        sidecars = sidecars.with_pod(Pod::bookinfo(app, version, listens));
    }
    Topology::new().with_pods(
        sidecars
            .with_pod(Pod::curl())
            .with_pod(Pod::gateway_api_gateway())
            .with_pod(Pod::waypoint()),
    )
}

fn translate_all(texts: &[&str]) -> EnvoyConfig {
    translate(&topology(), &resources(texts)).unwrap()
}

/// The names of the filter chains of `pod`'s inbound listener.
fn inbound_chains(config: &EnvoyConfig, pod: &str) -> Vec<String> {
    let layout = Layout::in_dir("/tmp/unused".as_ref());
    let listeners = config.listener_resources(&layout);
    let name = format!("{pod}~inbound_9080");
    let listener = listeners
        .iter()
        .find(|listener| listener["name"] == name)
        .unwrap_or_else(|| panic!("no listener {name}"));
    assert_eq!(
        listener["address"]["socket_address"]["address"],
        "127.30.3.1"
    );
    listener["filter_chains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|chain| chain["name"].as_str().unwrap().to_owned())
        .collect()
}

fn peer_authentication(mode: &str) -> String {
    format!(
        "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: istio-system\nspec:\n  mtls:\n    mode: {mode}\n"
    )
}

#[test]
fn a_pods_inbound_listener_takes_mtls_and_plaintext_as_peer_authentication_says() {
    assert_eq!(
        inbound_chains(&translate_all(&[]), "ratings-v1"),
        ["mtls", "plaintext"]
    );
    let strict = peer_authentication("STRICT");
    assert_eq!(
        inbound_chains(&translate_all(&[&strict]), "ratings-v1"),
        ["mtls"]
    );
    let disable = peer_authentication("DISABLE");
    assert_eq!(
        inbound_chains(&translate_all(&[&disable]), "ratings-v1"),
        ["plaintext"]
    );
}

/// The certificate file a cluster's mutual TLS presents, and the SAN it requires.
fn client_tls(cluster: &Value) -> (String, String) {
    let socket = cluster
        .pointer("/transport_socket_matches/0/transport_socket")
        .or_else(|| cluster.get("transport_socket"))
        .expect("mutual TLS");
    let context = &socket["typed_config"]["common_tls_context"];
    (
        context["tls_certificates"][0]["certificate_chain"]["filename"]
            .as_str()
            .unwrap()
            .to_owned(),
        context["validation_context"]["match_typed_subject_alt_names"][0]["matcher"]["exact"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

#[test]
fn every_pod_calls_with_its_own_certificate_and_checks_the_peers() {
    let config = translate_all(&[]);
    let (certificate, peer) = client_tls(cluster(
        &config,
        "productpage-v1~outbound|9080||details.default.svc.cluster.local",
    ));
    assert!(certificate.ends_with("productpage-v1.crt"), "{certificate}");
    assert_eq!(
        peer,
        "spiffe://cluster.local/ns/default/sa/bookinfo-details"
    );
    let (certificate, _) = client_tls(cluster(
        &config,
        "outbound|9080||details.default.svc.cluster.local",
    ));
    assert!(
        certificate.ends_with("istio-ingressgateway.crt"),
        "{certificate}"
    );

    let without_tls = DESTINATION_RULE_ALL.replacen(
        "  host: details\n",
        "  host: details\n  trafficPolicy:\n    tls:\n      mode: DISABLE\n",
        1,
    );
    assert_ne!(
        without_tls, DESTINATION_RULE_ALL,
        "the fixture has a details rule"
    );
    let config = translate_all(&[&without_tls]);
    let details = cluster(
        &config,
        "curl~outbound|9080|v1|details.default.svc.cluster.local",
    );
    assert!(details.get("transport_socket").is_none(), "{details}");
    assert!(
        details.get("transport_socket_matches").is_none(),
        "{details}"
    );
}

/// Where `pod`'s sidecar sends `/` for reviews (the first route's cluster).
fn reviews_cluster_from(config: &EnvoyConfig, pod: &str) -> String {
    let routes = config.route_config(&format!("{pod}~9080")).unwrap();
    let host = routes["virtual_hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|host| host["name"] == "reviews.default.svc.cluster.local:9080")
        .unwrap();
    let domains = host["domains"].to_string();
    assert!(domains.contains("\"reviews\""), "{domains}");
    host["routes"][0]["route"]["cluster"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn source_labels_rules_are_in_the_routes_of_matching_pods_only() {
    let only_from_productpage = REVIEWS_V3.replacen(
        "  - route:",
        "  - match:\n    - sourceLabels:\n        app: productpage\n    route:",
        1,
    );
    assert_ne!(only_from_productpage, REVIEWS_V3);
    let config = translate_all(&[DESTINATION_RULE_ALL, &only_from_productpage]);
    assert_eq!(
        reviews_cluster_from(&config, "productpage-v1"),
        "productpage-v1~outbound|9080|v3|reviews.default.svc.cluster.local"
    );
    assert_eq!(
        reviews_cluster_from(&config, "curl"),
        "curl~outbound|9080||reviews.default.svc.cluster.local"
    );
}

/// The cluster of the first route of the ingress route configuration.
fn ingress_route_cluster(config: &EnvoyConfig) -> String {
    let routes = config.route_config("http.8080").unwrap();
    routes["virtual_hosts"][0]["routes"][0]["route"]["cluster"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn each_gateway_calls_with_its_own_certificate() {
    let productpage = "outbound|9080||productpage.default.svc.cluster.local";
    let gateway_api = translate_all(&[crate::gateway_api_fixtures::BOOKINFO_GATEWAY]);
    let own = format!("bookinfo-gateway-istio~{productpage}");
    assert_eq!(ingress_route_cluster(&gateway_api), own);
    let certificate = &cluster(&gateway_api, &own)["transport_socket_matches"][0]["transport_socket"]
        ["typed_config"]["common_tls_context"]["tls_certificates"][0]["certificate_chain"]["filename"];
    assert!(
        certificate
            .as_str()
            .unwrap()
            .ends_with("bookinfo-gateway-istio.crt"),
        "{certificate}"
    );
    let istio = translate_all(&[crate::fixtures::GATEWAY]);
    assert_eq!(
        ingress_route_cluster(&istio),
        productpage,
        "Istio's gateway calls with the shared clusters (istio-ingressgateway's certificate)"
    );
}
