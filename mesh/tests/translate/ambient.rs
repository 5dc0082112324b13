//! Ambient mode: with `istio.io/dataplane-mode=ambient` on the namespace, a pod's listeners
//! are the node proxy's L4 ones (TCP proxy over the pod's own mTLS clusters), not sidecars.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use mesh::{Layout, ResourceSet, translate};
use serde_json::Value;

use crate::fixtures::{DESTINATION_RULE_ALL, REVIEWS_V3};
use crate::gateway_api_fixtures::{BOOKINFO_VERSIONS, ROUTE_REVIEWS_90_10};
use crate::helpers::resources;
use crate::sidecars::topology;

fn labelled(namespace: &str, texts: &[&str]) -> ResourceSet {
    let mut set = resources(texts);
    set.namespace_labels.insert(
        namespace.to_owned(),
        BTreeMap::from([("istio.io/dataplane-mode".to_owned(), "ambient".to_owned())]),
    );
    set
}

fn listener(set: &ResourceSet, name: &str) -> Value {
    let config = translate(&topology(), set).unwrap();
    let layout = Layout::in_dir("/tmp/unused".as_ref());
    config
        .listener_resources(&layout)
        .into_iter()
        .find(|listener| listener["name"] == name)
        .unwrap_or_else(|| panic!("no listener {name}"))
}

/// The network filters of each filter chain: their names, and a TCP proxy's cluster.
fn chains(listener: &Value) -> Vec<(String, String)> {
    listener["filter_chains"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|chain| chain["filters"].as_array().unwrap().clone())
        .map(|filter| {
            let cluster = filter["typed_config"]["cluster"].as_str().unwrap_or("");
            (
                filter["name"].as_str().unwrap().to_owned(),
                cluster.to_owned(),
            )
        })
        .collect()
}

const REVIEWS: &str = "productpage-v1~reviews.default.svc.cluster.local_9080";
const TCP_PROXY: &str = "envoy.filters.network.tcp_proxy";
const HCM: &str = "envoy.filters.network.http_connection_manager";

#[test]
fn ambient_pods_call_through_l4_listeners_with_their_own_mtls_clusters() {
    let set = labelled("default", &[DESTINATION_RULE_ALL, REVIEWS_V3]);
    assert_eq!(
        chains(&listener(&set, REVIEWS)),
        [(
            TCP_PROXY.to_owned(),
            "productpage-v1~outbound|9080||reviews.default.svc.cluster.local".to_owned()
        )],
        "every reviews pod, one per connection; the VirtualService has no say"
    );
    let inbound = listener(&set, "reviews-v2~inbound_9080");
    let cluster = "inbound|9080||reviews-v2".to_owned();
    assert_eq!(
        chains(&inbound),
        [
            (HCM.to_owned(), String::new()),
            (TCP_PROXY.to_owned(), cluster.clone()),
            (TCP_PROXY.to_owned(), cluster.clone())
        ],
        "the tunnel's chain, then the mTLS and plaintext chains pass bytes to the app"
    );
    let tunnel = &inbound["filter_chains"][0];
    assert_eq!(
        tunnel["filter_chain_match"]["application_protocols"],
        serde_json::json!(["hbone"])
    );
    let route =
        &tunnel["filters"][0]["typed_config"]["route_config"]["virtual_hosts"][0]["routes"][0];
    assert_eq!(route["route"]["cluster"], cluster.as_str());
    assert_eq!(
        route["route"]["upgrade_configs"][0]["upgrade_type"],
        "CONNECT"
    );
    let outbound = listener(&set, REVIEWS);
    let proxy = &outbound["filter_chains"][0]["filters"][0]["typed_config"];
    assert_eq!(proxy["tunneling_config"]["hostname"], "%UPSTREAM_HOST%");
    assert_eq!(proxy["upstream_connect_mode"], "ON_DOWNSTREAM_DATA");
    assert_eq!(
        outbound["socket_options"][0]["name"], 13,
        "a refused tunnel resets the app's connection (SO_LINGER 0)"
    );
    let config = translate(&topology(), &set).unwrap();
    assert!(config.route_config("productpage-v1~9080").is_none());
    assert!(
        config.route_config("http.8080").is_some(),
        "the gateway still routes HTTP"
    );
}

#[test]
fn without_the_label_on_their_namespace_pods_keep_their_sidecars() {
    for set in [resources(&[]), labelled("istio-system", &[])] {
        assert_eq!(chains(&listener(&set, REVIEWS))[0].0, HCM);
    }
}

const RBAC: &str = "envoy.filters.network.rbac";

/// istio.io's ambient Getting Started L4 policy.
const PRODUCTPAGE_ZTUNNEL: &str = "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: productpage-ztunnel
  namespace: default
spec:
  selector:
    matchLabels:
      app: productpage
  action: ALLOW
  rules:
  - from:
    - source:
        principals:
        - cluster.local/ns/default/sa/bookinfo-gateway-istio
";

#[test]
fn a_selector_policy_is_a_network_rbac_filter_before_the_tcp_proxy_of_the_pods_inbound_side() {
    let set = labelled("default", &[PRODUCTPAGE_ZTUNNEL]);
    let inbound = listener(&set, "productpage-v1~inbound_9080");
    let names: Vec<String> = chains(&inbound).into_iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        [HCM, RBAC, TCP_PROXY, RBAC, TCP_PROXY],
        "the tunnel's, mTLS and plaintext chains"
    );
    let network = &inbound["filter_chains"][1]["filters"][0]["typed_config"];
    let tunnel = &inbound["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"][0];
    assert_eq!(tunnel["name"], "envoy.filters.http.rbac");
    assert_eq!(
        tunnel["typed_config"]["rules"], network["rules"],
        "the tunnel's CONNECT and plain mTLS are checked by the same rules"
    );
    assert_eq!(network["rules"]["action"], "ALLOW");
    assert_eq!(
        network["rules"]["policies"]["ns[default]-policy[productpage-ztunnel]-rule[0]"]["principals"]
            [0]["and_ids"]["ids"][0]["or_ids"]["ids"][0]["authenticated"]["principal_name"]["exact"],
        "spiffe://cluster.local/ns/default/sa/bookinfo-gateway-istio"
    );
    let details = listener(&set, "details-v1~inbound_9080");
    assert_eq!(
        chains(&details)[1].0,
        TCP_PROXY,
        "the selector picks productpage"
    );
    let config = translate(&topology(), &set).unwrap();
    assert!(
        !config
            .warnings
            .iter()
            .any(|warning| warning.contains("ztunnel")),
        "an L4 policy is enforced as written: {:?}",
        config.warnings
    );
}

#[test]
fn http_attributes_at_the_node_proxy_match_nothing_in_allow_and_are_dropped_in_deny() {
    let allow_get = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: get-only\nspec:\n  selector: {matchLabels: {app: details}}\n  rules:\n  - to: [{operation: {methods: [GET]}}]\n  - from: [{source: {namespaces: [default]}}]\n";
    let deny_path = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: no-admin\nspec:\n  selector: {matchLabels: {app: details}}\n  action: DENY\n  rules:\n  - to: [{operation: {paths: [/admin], ports: [\"9080\"]}}]\n";
    let set = labelled("default", &[allow_get, deny_path]);
    let inbound = listener(&set, "details-v1~inbound_9080");
    let filters = inbound["filter_chains"][1]["filters"].as_array().unwrap();
    let deny = &filters[0]["typed_config"]["rules"];
    assert_eq!(deny["action"], "DENY");
    assert_eq!(
        deny["policies"]["ns[default]-policy[no-admin]-rule[0]"]["permissions"][0],
        serde_json::json!({"and_rules": {"rules": [{"or_rules": {"rules": [{"any": true}]}}]}}),
        "the path is dropped, the port kept: every connection to 9080 is denied"
    );
    let allow = &filters[1]["typed_config"]["rules"]["policies"];
    let rules: Vec<&String> = allow.as_object().unwrap().keys().collect();
    assert_eq!(
        rules,
        ["ns[default]-policy[get-only]-rule[1]"],
        "the rule with methods is left out"
    );
    let config = translate(&topology(), &set).unwrap();
    let said: Vec<&String> = config
        .warnings
        .iter()
        .filter(|warning| warning.contains("ztunnel"))
        .collect();
    assert_eq!(said.len(), 2, "{:?}", config.warnings);
    assert!(
        said.iter()
            .any(|warning| warning.contains("(found: methods)"))
    );
    let sidecars = translate(&topology(), &resources(&[allow_get, deny_path])).unwrap();
    assert!(
        !sidecars
            .warnings
            .iter()
            .any(|warning| warning.contains("ztunnel"))
    );
}

const WAYPOINT: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: default}
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
";

const PRODUCTPAGE_VIEWER: &str = "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: productpage-viewer, namespace: default}
spec:
  targetRefs: [{kind: Service, group: \"\", name: productpage}]
  action: ALLOW
  rules:
  - from: [{source: {principals: [cluster.local/ns/default/sa/curl]}}]
    to: [{operation: {methods: [GET]}}]
";

/// The ambient namespace, enrolled with the waypoint `waypoint` (as `--enroll-namespace`).
fn enrolled(texts: &[&str]) -> ResourceSet {
    let mut set = labelled("default", texts);
    set.namespace_labels
        .get_mut("default")
        .unwrap()
        .insert("istio.io/use-waypoint".to_owned(), "waypoint".to_owned());
    set
}

fn config_of(set: &ResourceSet) -> mesh::EnvoyConfig {
    translate(&topology(), set).unwrap()
}

#[test]
fn an_enrolled_namespace_calls_its_services_through_the_waypoint_over_mutual_tls() {
    let set = enrolled(&[WAYPOINT]);
    let to_waypoint = "curl~waypoint|9080||productpage.default.svc.cluster.local";
    let outbound = listener(&set, "curl~productpage.default.svc.cluster.local_9080");
    assert_eq!(
        chains(&outbound),
        [(TCP_PROXY.to_owned(), to_waypoint.to_owned())]
    );
    assert!(
        outbound["filter_chains"][0]["filters"][0]["typed_config"]["tunneling_config"].is_null(),
        "the hop to the waypoint is mutual TLS, not a tunnel to an endpoint"
    );
    let config = config_of(&set);
    let cluster = config
        .clusters
        .iter()
        .find(|cluster| cluster["name"] == to_waypoint)
        .expect("the caller's cluster to the waypoint");
    let tls = &cluster["transport_socket"]["typed_config"]["common_tls_context"];
    assert!(
        tls["tls_certificates"][0]["certificate_chain"]["filename"]
            .as_str()
            .unwrap()
            .ends_with("curl.crt"),
        "{cluster}"
    );
    assert_eq!(
        tls["validation_context"]["match_typed_subject_alt_names"][0]["matcher"]["exact"],
        "spiffe://cluster.local/ns/default/sa/waypoint"
    );

    // The waypoint takes only mutual TLS, and routes with the Service's own routes.
    let waypoint = listener(&set, "waypoint~productpage.default.svc.cluster.local_9080");
    let chain_names: Vec<&str> = waypoint["filter_chains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|chain| chain["name"].as_str().unwrap())
        .collect();
    assert_eq!(chain_names, ["mtls"]);
    let manager = &waypoint["filter_chains"][0]["filters"][0]["typed_config"];
    assert_eq!(
        manager["rds"]["route_config_name"],
        "waypoint~productpage.default.svc.cluster.local:9080"
    );
}

#[test]
fn without_an_enrolled_waypoint_in_force_calls_go_to_the_endpoints() {
    // Enrolled with a waypoint that is not there; and a waypoint nobody is enrolled with.
    for set in [enrolled(&[]), labelled("default", &[WAYPOINT])] {
        assert_eq!(
            chains(&listener(&set, REVIEWS)),
            [(
                TCP_PROXY.to_owned(),
                "productpage-v1~outbound|9080||reviews.default.svc.cluster.local".to_owned()
            )]
        );
        let config = config_of(&set);
        assert!(
            config
                .listener_resources(&Layout::in_dir("/tmp/unused".as_ref()))
                .iter()
                .all(|listener| !listener["name"].as_str().unwrap().starts_with("waypoint~")),
            "no waypoint listeners"
        );
    }
}

#[test]
fn the_waypoint_enforces_policies_bound_to_its_services_and_splits_per_request() {
    let set = enrolled(&[
        WAYPOINT,
        PRODUCTPAGE_VIEWER,
        BOOKINFO_VERSIONS,
        ROUTE_REVIEWS_90_10,
    ]);
    let productpage = listener(&set, "waypoint~productpage.default.svc.cluster.local_9080");
    let filters =
        productpage["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"].to_string();
    assert!(
        filters.contains("envoy.filters.http.rbac")
            && filters.contains("spiffe://cluster.local/ns/default/sa/curl"),
        "{filters}"
    );
    let reviews = listener(&set, "waypoint~reviews.default.svc.cluster.local_9080");
    let filters =
        reviews["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"].to_string();
    assert!(
        !filters.contains("envoy.filters.http.rbac"),
        "the policy names productpage only: {filters}"
    );

    let config = config_of(&set);
    let route = config
        .route_configs
        .iter()
        .find(|route| route["name"] == "waypoint~reviews.default.svc.cluster.local:9080")
        .expect("the waypoint's routes for reviews");
    let weighted = route["virtual_hosts"][0]["routes"][0]["route"]["weighted_clusters"]["clusters"]
        .as_array()
        .expect("the HTTPRoute's weights, chosen per request")
        .iter()
        .map(|cluster| {
            (
                cluster["name"].as_str().unwrap().to_owned(),
                cluster["weight"].as_u64().unwrap(),
            )
        })
        .collect::<Vec<_>>();
    assert_eq!(
        weighted,
        [
            (
                "waypoint~outbound|9080||reviews-v1.default.svc.cluster.local".to_owned(),
                90
            ),
            (
                "waypoint~outbound|9080||reviews-v2.default.svc.cluster.local".to_owned(),
                10
            )
        ]
    );
    // The waypoint calls the endpoints with its own identity, over plain mutual TLS.
    let to_reviews = config
        .clusters
        .iter()
        .find(|cluster| {
            cluster["name"] == "waypoint~outbound|9080||reviews.default.svc.cluster.local"
        })
        .expect("the waypoint's copy of the reviews cluster");
    assert!(
        to_reviews.to_string().contains("waypoint.crt"),
        "{to_reviews}"
    );
    assert!(!to_reviews.to_string().contains("hbone"), "{to_reviews}");
    assert!(
        !config
            .warnings
            .iter()
            .any(|warning| warning.contains("targetRefs")),
        "{:?}",
        config.warnings
    );
}

#[test]
fn a_service_route_in_the_ambient_mesh_without_a_waypoint_is_reported_idle() {
    let idle = |set: &ResourceSet| {
        config_of(set)
            .warnings
            .into_iter()
            .filter(|warning| {
                warning.starts_with(
                    "HTTPRoute reviews: parentRefs[0]: Service default/reviews \
                                     is not bound to a waypoint",
                )
            })
            .count()
    };
    let route = [BOOKINFO_VERSIONS, ROUTE_REVIEWS_90_10];
    assert_eq!(
        idle(&labelled("default", &route)),
        1,
        "ambient, no waypoint"
    );
    assert_eq!(idle(&resources(&route)), 0, "sidecars route it");
    let mut served = route.to_vec();
    served.push(WAYPOINT);
    assert_eq!(idle(&enrolled(&served)), 0, "the waypoint routes it");
}

/// `enrolled`, the namespace not enrolled, Service `name` labelled `istio.io/use-waypoint=value`.
fn service_labelled(texts: &[&str], name: &str, value: &str) -> ResourceSet {
    let mut set = labelled("default", texts);
    set.service_labels.insert(
        format!("default/{name}"),
        BTreeMap::from([("istio.io/use-waypoint".to_owned(), value.to_owned())]),
    );
    set
}

#[test]
fn a_service_labelled_with_a_waypoint_goes_through_it_and_none_keeps_one_off() {
    let set = service_labelled(&[WAYPOINT], "reviews", "waypoint");
    assert_eq!(
        chains(&listener(&set, REVIEWS)),
        [(
            TCP_PROXY.to_owned(),
            "productpage-v1~waypoint|9080||reviews.default.svc.cluster.local".to_owned()
        )]
    );
    let details = listener(
        &set,
        "productpage-v1~details.default.svc.cluster.local_9080",
    );
    assert_eq!(
        chains(&details),
        [(
            TCP_PROXY.to_owned(),
            "productpage-v1~outbound|9080||details.default.svc.cluster.local".to_owned()
        )],
        "the namespace is not enrolled: other Services go to their endpoints"
    );

    // The namespace enrolled, reviews opted out with `none`.
    let mut opted_out = service_labelled(&[WAYPOINT], "reviews", "none");
    opted_out
        .namespace_labels
        .get_mut("default")
        .unwrap()
        .insert("istio.io/use-waypoint".to_owned(), "waypoint".to_owned());
    assert_eq!(
        chains(&listener(&opted_out, REVIEWS)),
        [(
            TCP_PROXY.to_owned(),
            "productpage-v1~outbound|9080||reviews.default.svc.cluster.local".to_owned()
        )]
    );
    let details = listener(
        &opted_out,
        "productpage-v1~details.default.svc.cluster.local_9080",
    );
    assert_eq!(
        chains(&details),
        [(
            TCP_PROXY.to_owned(),
            "productpage-v1~waypoint|9080||details.default.svc.cluster.local".to_owned()
        )]
    );
}
