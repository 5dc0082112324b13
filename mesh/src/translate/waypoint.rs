//! An ambient waypoint's part (`istioctl waypoint apply`): for each Service enrolled with it, a
//! listener on the waypoint pod's own address for that Service which takes the node proxies'
//! mutual TLS (the caller's identity is its certificate's), enforces the AuthorizationPolicies
//! bound by `targetRefs` to the Service or to the waypoint, and routes as the waypoint sees the
//! Service (VirtualServices, HTTPRoutes with a Service parent), choosing an endpoint per request
//! over clusters that call with the waypoint's own identity. [`caller_cluster`] is the caller's
//! side: its node proxy sends the connection's bytes to the waypoint instead of an endpoint.
//!
//! The hop to the waypoint is plain mutual TLS rather than an HBONE tunnel: Envoy cannot hand a
//! tunnel's peer identity to the HTTP listener behind it without internal listeners, and what a
//! user observes (who called, what the policy answers, which version served) is the same.

use std::net::{IpAddr, SocketAddr};

use serde_json::{Value, json};

use super::model::RoutingModel;
use super::sidecars::{SidecarConfig, source_cluster, upstream_tls};
use super::{ListenerPlan, ROUTE_CONFIG_TYPE, Translation, inbound, rbac};
use crate::identity::{Pod, Sidecars};
use crate::istio::ResourceSet;
use crate::topology::{NAMESPACE, Service};

/// The waypoint pods whose Gateway (class `istio-waypoint`) is in force.
pub fn in_force<'a>(
    sidecars: &'a Sidecars,
    resources: &'a ResourceSet,
) -> impl Iterator<Item = &'a Pod> {
    sidecars
        .waypoints()
        .filter(|pod| crate::waypoint::names_in(resources, &pod.namespace).contains(&pod.name))
}

/// The waypoint pod that calls to `service` go through: the waypoint in force that the Service
/// or its namespace names (`istio.io/use-waypoint`), when the mesh has its pod.
pub fn serving<'a>(
    sidecars: &'a Sidecars,
    resources: &'a ResourceSet,
    service: &Service,
) -> Option<&'a Pod> {
    // Every Service of the topology is in `default`.
    let name = crate::waypoint::for_service(resources, NAMESPACE, &service.name)?;
    in_force(sidecars, resources).find(|pod| pod.namespace == NAMESPACE && pod.name == name)
}

/// The cluster by which `caller`'s node proxy reaches `waypoint`'s listener for the
/// `index`-th Service: mutual TLS with the caller's certificate, the waypoint's identity
/// checked, from the caller's own IP.
pub fn caller_cluster(
    sidecars: &Sidecars,
    caller: &Pod,
    waypoint: &Pod,
    service: &Service,
    index: usize,
) -> Option<(String, Value)> {
    let address = sidecars.outbound_ip(&waypoint.name, index)?;
    let shared = format!("waypoint|{}||{}", service.port, service.fqdn());
    let name = source_cluster(Some(caller), shared.clone());
    let mut cluster = inbound::cluster(&name, SocketAddr::from((address, service.port)));
    cluster["transport_socket"] = upstream_tls(sidecars, caller, &[waypoint.spiffe_id()], &shared);
    if let Some(ip) = sidecars.pod_ip(&caller.name) {
        cluster["upstream_bind_config"] =
            json!({"source_address": {"address": ip.to_string(), "port_value": 0}});
    }
    Some((name, cluster))
}

/// Every waypoint in force: one listener per Service enrolled with it, and its route
/// configurations. Its clusters are the sidecars' copies (see [`super::sidecars::clusters`]).
pub(super) fn waypoint_config(
    translation: &mut Translation<'_>,
    sidecars: &Sidecars,
    model: &RoutingModel,
    resources: &ResourceSet,
) -> SidecarConfig {
    let mut out = SidecarConfig::default();
    let mut without_pod = std::collections::BTreeSet::new();
    for (index, service) in model.services.iter().enumerate() {
        let Some(waypoint) = serving(sidecars, resources, service) else {
            if let Some(name) = crate::waypoint::for_service(resources, NAMESPACE, &service.name) {
                without_pod.insert(name);
            }
            continue;
        };
        let Some(address) = sidecars.outbound_ip(&waypoint.name, index) else {
            continue;
        };
        // One route configuration per Service: the waypoint knows the Service from the address
        // it was called on (callers' Host headers name their own addresses for it).
        let route_config = format!("{}~{}:{}", waypoint.name, service.fqdn(), service.port);
        out.listeners.push(ListenerPlan {
            name: format!("{}~{}_{}", waypoint.name, service.fqdn(), service.port),
            address: IpAddr::V4(address),
            port: service.port,
            route_config: route_config.clone(),
            stat_prefix: format!("waypoint_{}_{}", service.fqdn(), service.port),
            ingress: false,
            tls: None,
            inbound: Some(inbound::waypoint_plan(sidecars, waypoint, service.port)),
            http_filters: rbac::waypoint_filters(resources, waypoint, service),
            tcp_proxy: None,
        });
        let virtual_host =
            translation.sidecar_virtual_host(service, model, Some(waypoint), json!(["*"]));
        out.route_configs.push(json!({
            "@type": ROUTE_CONFIG_TYPE,
            "name": route_config,
            "validate_clusters": false,
            "virtual_hosts": [virtual_host],
        }));
    }
    for name in without_pod {
        translation.warnings.push(format!(
            "waypoint {NAMESPACE}/{name} carries no traffic here: the local mesh runs one \
             waypoint pod, `waypoint` in {NAMESPACE} (`bookinfo mesh waypoint apply` without \
             --name); calls to the Services it would serve go to their endpoints directly"
        ));
    }
    out
}
