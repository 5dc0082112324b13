//! Ambient mode: with `istio.io/dataplane-mode=ambient` on the namespace, a pod's listeners
//! are the node proxy's L4 ones (TCP proxy over the pod's own mTLS clusters), not sidecars.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use mesh::{Layout, ResourceSet, translate};
use serde_json::Value;

use crate::fixtures::{DESTINATION_RULE_ALL, REVIEWS_V3};
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
