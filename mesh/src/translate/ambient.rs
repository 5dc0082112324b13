//! The ambient data plane for pods whose namespace has `istio.io/dataplane-mode=ambient`: the
//! node proxy (ztunnel's part) instead of sidecars. A pod's calls to a Service go through an
//! L4 listener (TCP proxy, no HTTP processing of the app's bytes, so VirtualService HTTP routes
//! do nothing, as without a waypoint on a cluster) to the Service's endpoints, one chosen per
//! connection, through a tunnel over mutual TLS with the pod's own certificate (see `hbone`);
//! the pod's inbound side terminates it (the peer's identity from its certificate), enforces
//! the pod's L4 AuthorizationPolicy and passes the bytes to the app. Plain mutual TLS (the
//! ingress gateway's calls) takes the same policy as Envoy's network RBAC filter.

use std::net::{IpAddr, Ipv4Addr};

use serde_json::{Value, json};

use super::rbac::{self, Layer, ListenerPort, PolicyTarget};
use super::sidecars::source_cluster;
use super::{ListenerPlan, hbone, rbac_l4};
use crate::identity::{Pod, PodRole};
use crate::istio::ResourceSet;
use crate::namespaces::is_ambient;
use crate::topology::Service;

const TCP_PROXY_TYPE: &str =
    "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";

/// An L4 listener's plan: the connection's policy filters, then the bytes to `cluster`.
#[derive(Debug, Clone, PartialEq)]
pub struct L4Plan {
    pub cluster: String,
    /// Envoy network RBAC filters (none: every connection is allowed).
    pub policy: Vec<Value>,
    /// A caller's listener: each connection a tunnel to the endpoint, reset when refused.
    pub tunnel_out: bool,
    /// A pod's inbound side: the tunnel's chain, its stats under this prefix, with these HTTP
    /// RBAC filters on the `CONNECT`.
    pub tunnel_in: Option<(String, Vec<Value>)>,
}

/// Whether `pod` is in the ambient mesh (its namespace is labelled so).
pub fn captured(pod: &Pod, resources: &ResourceSet) -> bool {
    is_ambient(&resources.namespace_labels, &pod.namespace)
}

/// Whether `pod`'s calls go through the node proxy's tunnels: a workload of the ambient mesh,
/// not a gateway or a waypoint (they call with their own proxy's plain mutual TLS).
pub fn tunnels(pod: &Pod, resources: &ResourceSet) -> bool {
    matches!(pod.role, PodRole::App { .. } | PodRole::Client) && captured(pod, resources)
}

/// The node proxy's outbound listener for `pod`'s calls to `service` at `address`: the bytes
/// to the pod's own copy of the Service's cluster (every endpoint, mutual TLS with the pod's
/// identity), which picks an endpoint per connection; or, for a Service enrolled with a
/// waypoint, to the cluster `via_waypoint` (see [`super::waypoint::caller_cluster`]).
pub fn outbound_listener(
    pod: &Pod,
    service: &Service,
    address: Ipv4Addr,
    via_waypoint: Option<String>,
) -> ListenerPlan {
    let tunnel_out = via_waypoint.is_none();
    let cluster = via_waypoint.unwrap_or_else(|| {
        source_cluster(
            Some(pod),
            format!("outbound|{}||{}", service.port, service.fqdn()),
        )
    });
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
        tcp_proxy: Some(L4Plan {
            cluster,
            policy: Vec::new(),
            tunnel_out,
            tunnel_in: None,
        }),
    }
}

/// The plan of `pod`'s inbound side on `port` (its Service port) to its inbound `cluster`: the
/// selector, namespace and root-namespace AuthorizationPolicies as network RBAC filters (stats
/// under `ztunnel_rbac_<pod>.`) and as HTTP RBAC filters on the tunnel (stats under
/// `http.ztunnel_rbac_<pod>.`); and what `apply`
/// should say about policies enforced differently from their text.
pub fn inbound_plan(
    pod: &Pod,
    port: u16,
    cluster: String,
    resources: &ResourceSet,
) -> (L4Plan, Vec<String>) {
    let target = PolicyTarget::workload(&pod.namespace, pod.labels.clone());
    let policies = rbac::policies_for(resources, &[target]);
    let warnings = policies
        .iter()
        .filter_map(|(key, spec)| rbac_l4::warning(key, spec))
        .collect();
    let stat_prefix = format!("ztunnel_rbac_{}", pod.name);
    let network_prefix = format!("{stat_prefix}.");
    let layer = Layer::Network {
        stat_prefix: &network_prefix,
    };
    let plan = L4Plan {
        cluster,
        policy: rbac::filters(&policies, ListenerPort(port), layer),
        tunnel_out: false,
        tunnel_in: Some((
            stat_prefix,
            rbac::filters(&policies, ListenerPort(port), Layer::Tunnel),
        )),
    };
    (plan, warnings)
}

/// The network filters of an L4 listener: its policy, then the connection's bytes to the
/// cluster.
pub fn network_filters(plan: &L4Plan, stat_prefix: &str, access_log: &Value) -> Value {
    let mut filters = plan.policy.clone();
    filters.push(json!({
        "name": "envoy.filters.network.tcp_proxy",
        "typed_config": {
            "@type": TCP_PROXY_TYPE,
            "stat_prefix": stat_prefix,
            "cluster": plan.cluster,
            "access_log": access_log,
        },
    }));
    if plan.tunnel_out
        && let Some(tcp_proxy) = filters.last_mut()
    {
        hbone::tunnel_from(&mut tcp_proxy["typed_config"]);
    }
    Value::Array(filters)
}
