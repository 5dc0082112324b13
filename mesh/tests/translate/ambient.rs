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
            (TCP_PROXY.to_owned(), cluster.clone()),
            (TCP_PROXY.to_owned(), cluster)
        ],
        "the mTLS and plaintext chains both pass bytes to the app"
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

#[test]
fn policies_the_node_proxy_cannot_enforce_yet_are_said_once() {
    let allow_nothing = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: allow-nothing\nspec: {}\n";
    let config = translate(&topology(), &labelled("default", &[allow_nothing])).unwrap();
    let said: Vec<&String> = config
        .warnings
        .iter()
        .filter(|warning| warning.contains("does not enforce them yet"))
        .collect();
    assert_eq!(said.len(), 1, "{:?}", config.warnings);
    let sidecars = translate(&topology(), &resources(&[allow_nothing])).unwrap();
    assert!(
        !sidecars
            .warnings
            .iter()
            .any(|warning| warning.contains("does not enforce them yet"))
    );
}
