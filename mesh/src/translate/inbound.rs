//! A pod's inbound listener, as istiod builds a sidecar's inbound side: on the pod's IP and
//! the Service port, a TLS inspector choosing between a mutual-TLS filter chain (a client
//! certificate from the mesh CA required; the peer's URI SAN is its principal) and, unless
//! mTLS is STRICT, a plaintext one; both forward to the app's own listener through the pod's
//! inbound cluster. [`inbound_http_filters`] is where a pod's HTTP filters (authorization)
//! come from, the ingress gateway's included.

use std::net::SocketAddr;

use serde_json::{Value, json};

use super::rbac;
use crate::identity::{Pod, PodRole, Sidecars};
use crate::istio::ResourceSet;

const CLUSTER_TYPE: &str = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
const DOWNSTREAM_TLS_TYPE: &str =
    "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext";

/// How a pod's inbound listener accepts connections.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundPlan {
    /// The pod's inbound cluster: its app's own listener.
    pub cluster: String,
    /// The pod's certificate, its key and the mesh CA (file paths).
    pub certificate: String,
    pub private_key: String,
    pub ca_certificate: String,
    /// The mTLS chain exists (not DISABLE).
    pub mutual_tls: bool,
    /// The plaintext chain exists (PERMISSIVE or DISABLE).
    pub plaintext: bool,
    /// Every request goes to the app (`cluster`); otherwise (a waypoint) the listener routes
    /// with its route configuration.
    pub serves_app: bool,
}

/// The HTTP filters of `pod`'s inbound listener, in order, before the router: what the
/// resources in force (AuthorizationPolicy) ask of requests reaching that pod. For the ingress
/// gateway's pod ([`crate::identity::PodRole::Gateway`]), the filters of the ingress listeners,
/// before the fault filter. Each is an Envoy `HttpFilter` (`{"name": ..., "typed_config":
/// {...}}`). The peer's identity is known to them from the connection (`source.principal` is
/// the client certificate's URI SAN without `spiffe://`), never from a header.
/// `port` is the listener's port on a cluster (the Service port; 8080 or 8443 for the
/// gateway), which policies' `ports` and `destination.port` name.
pub fn inbound_http_filters(pod: &Pod, port: u16, resources: &ResourceSet) -> Vec<Value> {
    match pod.role {
        PodRole::Gateway => rbac::ingress_filters(resources, &pod.namespace, &pod.labels, port),
        PodRole::App { .. } | PodRole::Client | PodRole::Waypoint => rbac::workload_filters(
            resources,
            &pod.namespace,
            &pod.labels,
            port,
            rbac::Layer::Http,
        ),
    }
}

/// istiod's name for the pod's inbound cluster on `port`.
pub fn cluster_name(pod: &Pod, port: u16) -> String {
    format!("inbound|{port}||{}", pod.name)
}

/// The pod's inbound plan on the Service port, accepting mTLS and (when `plaintext`)
/// plain connections.
pub fn plan(
    sidecars: &Sidecars,
    pod: &Pod,
    port: u16,
    mutual_tls: bool,
    plaintext: bool,
) -> InboundPlan {
    let path = |path: std::path::PathBuf| path.to_string_lossy().into_owned();
    InboundPlan {
        cluster: cluster_name(pod, port),
        certificate: path(sidecars.certificate(pod)),
        private_key: path(sidecars.private_key(pod)),
        ca_certificate: path(sidecars.ca_certificate()),
        mutual_tls,
        plaintext,
        serves_app: true,
    }
}

/// A waypoint's plan for its listener of a Service on `port`: the node proxies' mutual TLS
/// only, with the waypoint's certificate; requests are routed, not sent to an app.
pub fn waypoint_plan(sidecars: &Sidecars, waypoint: &Pod, port: u16) -> InboundPlan {
    InboundPlan {
        serves_app: false,
        ..plan(sidecars, waypoint, port, true, false)
    }
}

/// A cluster of the one endpoint `app`, plain TCP: from a sidecar to the app in its pod (and,
/// with a transport socket added, from a node proxy to a waypoint).
pub fn cluster(name: &str, app: SocketAddr) -> Value {
    json!({
        "@type": CLUSTER_TYPE,
        "name": name,
        "type": "STATIC",
        "connect_timeout": "10s",
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"socket_address": {
                "address": app.ip().to_string(),
                "port_value": app.port(),
            }}}}]}],
        },
    })
}

/// The route of the inbound connection manager: everything to the app.
pub fn route_config(plan: &InboundPlan) -> Value {
    json!({
        "name": plan.cluster,
        "validate_clusters": false,
        "virtual_hosts": [{
            "name": plan.cluster,
            "domains": ["*"],
            "routes": [{
                "name": "default",
                "match": {"prefix": "/"},
                "route": {"cluster": plan.cluster, "timeout": "0s"},
                "decorator": {"operation": format!("{}/*", plan.cluster)},
            }],
        }],
    })
}

/// The pod's side of mutual TLS: its certificate, a client certificate of the mesh CA required.
pub fn downstream_tls(plan: &InboundPlan) -> Value {
    json!({
        "name": "envoy.transport_sockets.tls",
        "typed_config": {
            "@type": DOWNSTREAM_TLS_TYPE,
            "common_tls_context": {
                "tls_certificates": [{
                    "certificate_chain": {"filename": plan.certificate},
                    "private_key": {"filename": plan.private_key},
                }],
                "validation_context": {
                    "trusted_ca": {"filename": plan.ca_certificate},
                },
            },
            "require_client_certificate": true,
        },
    })
}

/// The filter chains around the connection manager `filters`: mTLS for TLS connections, plain
/// for the others; a connection no chain takes is closed (a plaintext client under STRICT).
pub fn filter_chains(plan: &InboundPlan, filters: &Value) -> Value {
    let mut chains = Vec::new();
    if plan.mutual_tls {
        chains.push(json!({
            "name": "mtls",
            "filter_chain_match": {"transport_protocol": "tls"},
            "filters": filters,
            "transport_socket": downstream_tls(plan),
        }));
    }
    if plan.plaintext {
        chains.push(json!({
            "name": "plaintext",
            "filter_chain_match": {"transport_protocol": "raw_buffer"},
            "filters": filters,
        }));
    }
    Value::Array(chains)
}
