//! The ambient data plane for pods whose namespace has `istio.io/dataplane-mode=ambient`: the
//! node proxy (ztunnel's part) instead of sidecars. A pod's calls to a Service go through an
//! L4 listener (TCP proxy, no HTTP processing, so VirtualService HTTP routes do nothing, as
//! without a waypoint on a cluster) to the Service's endpoints, one chosen per connection, over
//! mutual TLS with the pod's own certificate; the pod's inbound side terminates that TLS (the
//! peer's identity from its certificate) and passes the bytes to the app.

use std::net::{IpAddr, Ipv4Addr};

use serde_json::{Value, json};

use super::ListenerPlan;
use super::sidecars::source_cluster;
use crate::identity::Pod;
use crate::istio::ResourceSet;
use crate::namespaces::is_ambient;
use crate::topology::Service;

const TCP_PROXY_TYPE: &str =
    "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";

/// Whether `pod` is in the ambient mesh (its namespace is labelled so).
pub fn captured(pod: &Pod, resources: &ResourceSet) -> bool {
    is_ambient(&resources.namespace_labels, &pod.namespace)
}

/// The node proxy's outbound listener for `pod`'s calls to `service` at `address`: the bytes
/// to the pod's own copy of the Service's cluster (every endpoint, mutual TLS with the pod's
/// identity), which picks an endpoint per connection.
pub fn outbound_listener(pod: &Pod, service: &Service, address: Ipv4Addr) -> ListenerPlan {
    let cluster = source_cluster(
        Some(pod),
        format!("outbound|{}||{}", service.port, service.fqdn()),
    );
    ListenerPlan {
        name: format!("{}~{}_{}", pod.name, service.fqdn(), service.port),
        address: IpAddr::V4(address),
        port: service.port,
        route_config: cluster.clone(),
        stat_prefix: format!("ztunnel_outbound_{}_{}", service.fqdn(), service.port),
        ingress: false,
        tls: None,
        inbound: None,
        http_filters: Vec::new(),
        tcp_proxy: Some(cluster),
    }
}

/// Said when AuthorizationPolicies select pods of an ambient namespace: the node proxy has no
/// L4 policy yet, and silence would read as enforcement.
pub fn unenforced_policies(namespace: &str) -> String {
    format!(
        "AuthorizationPolicies select pods of namespace {namespace}, which is in ambient mode: \
         the local node proxy does not enforce them yet, so they allow everything (remove \
         istio.io/dataplane-mode to enforce them in the sidecars)"
    )
}

/// The network filter of an L4 listener: the connection's bytes to `cluster`.
pub fn tcp_proxy_filter(stat_prefix: &str, cluster: &str, access_log: &Value) -> Value {
    json!({
        "name": "envoy.filters.network.tcp_proxy",
        "typed_config": {
            "@type": TCP_PROXY_TYPE,
            "stat_prefix": stat_prefix,
            "cluster": cluster,
            "access_log": access_log,
        },
    })
}
