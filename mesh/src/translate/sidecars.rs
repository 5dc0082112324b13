//! The sidecar layer when the topology has pods: for each pod with a sidecar, one outbound
//! listener per Service on the pod's own address for it, with a route configuration of its own
//! (VirtualServices as that pod's sidecar sees them) and clusters of its own that originate
//! mutual TLS with the pod's certificate; and the pod's inbound listener. The ingress gateway
//! calls with the shared clusters and its own certificate.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use serde_json::{Value, json};

use super::model::RoutingModel;
use super::{
    INGRESS_ROUTE_NAME, INGRESS_TARGET_PORT, ListenerPlan, ROUTE_CONFIG_TYPE, Translation, ambient,
    hbone, inbound, waypoint,
};
use crate::identity::{GATEWAY_SERVICE_PORT, GATEWAY_SERVICES, Pod, PodRole, Sidecars};
use crate::istio::peer_authentication::effective_mode;
use crate::istio::{MtlsMode, ResourceSet, TlsMode};
use crate::topology::{NAMESPACE, Service};

const RAW_BUFFER_TYPE: &str =
    "type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer";
const UPSTREAM_TLS_TYPE: &str =
    "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext";

/// A cluster as translated, before it is given to each source with that source's identity.
pub(super) struct BuiltCluster<'a> {
    pub cluster: Value,
    pub service: &'a Service,
    /// The DestinationRule's `tls.mode`; none: auto mTLS (mutual TLS to every pod that takes
    /// it, plain HTTP to a pod whose PeerAuthentication says DISABLE).
    pub tls: Option<TlsMode>,
}

/// The name of `cluster` in the sidecar of `source` (the shared name for no source).
pub fn source_cluster(source: Option<&Pod>, cluster: String) -> String {
    match source {
        Some(pod) => format!("{}~{cluster}", pod.name),
        None => cluster,
    }
}

/// The shared clusters, with the gateway's identity, then every sidecar's own copies, the
/// copies of each Gateway API Gateway's pod (its routes call with its identity) and those of
/// each waypoint in force.
pub(super) fn clusters(
    built: Vec<BuiltCluster<'_>>,
    sidecars: &Sidecars,
    resources: &ResourceSet,
) -> Vec<Value> {
    let mut out = Vec::new();
    let sources = std::iter::once(None)
        .chain(sidecars.with_sidecar().map(Some))
        .chain(sidecars.gateway_api_pods().map(Some))
        .chain(waypoint::in_force(sidecars, resources).map(Some));
    for source in sources {
        for built in &built {
            let mut cluster = built.cluster.clone();
            mark_endpoints_taking_mtls(&mut cluster, sidecars, resources);
            let shared = cluster["name"].as_str().unwrap_or_default().to_owned();
            let name = source_cluster(source, shared.clone());
            cluster["name"] = json!(name);
            cluster["load_assignment"]["cluster_name"] = json!(name);
            // A pod calls from its own IP, which policies' `ipBlocks` and `source.ip` see.
            if let Some(ip) = source.and_then(|pod| sidecars.pod_ip(&pod.name)) {
                cluster["upstream_bind_config"] =
                    json!({"source_address": {"address": ip.to_string(), "port_value": 0}});
            }
            let identity = source.or(sidecars.gateway());
            let peers = peer_identities(built.service, sidecars);
            let (Some(identity), false) = (identity, peers.is_empty()) else {
                out.push(cluster);
                continue;
            };
            let mtls = upstream_tls(sidecars, identity, &peers, &shared);
            if source.is_some_and(|pod| ambient::tunnels(pod, resources)) {
                hbone::client_cluster(&mut cluster, mtls);
                out.push(cluster);
                continue;
            }
            match built.tls {
                // SIMPLE originates TLS to a ServiceEntry's host (see `egress`), not to a pod.
                Some(TlsMode::Disable | TlsMode::Simple) => {}
                Some(TlsMode::IstioMutual) => cluster["transport_socket"] = mtls,
                None => {
                    // istiod's auto mTLS: endpoints marked `tlsMode: istio` get mutual TLS.
                    cluster["transport_socket_matches"] = json!([
                        {"name": "tlsMode-istio", "match": {"tlsMode": "istio"}, "transport_socket": mtls},
                        {"name": "tlsMode-disabled", "match": {}, "transport_socket": {
                            "name": "envoy.transport_sockets.raw_buffer",
                            "typed_config": {"@type": RAW_BUFFER_TYPE},
                        }},
                    ]);
                }
            }
            out.push(cluster);
        }
    }
    out
}

/// Marks each endpoint whose pod accepts mutual TLS on its port (not DISABLE) with
/// `tlsMode: istio`, as istiod labels endpoints for auto mTLS.
fn mark_endpoints_taking_mtls(cluster: &mut Value, sidecars: &Sidecars, resources: &ResourceSet) {
    let Some(endpoints) = cluster
        .pointer_mut("/load_assignment/endpoints/0/lb_endpoints")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for endpoint in endpoints {
        let address = &endpoint["endpoint"]["address"]["socket_address"];
        let ip = address["address"].as_str().and_then(|ip| ip.parse().ok());
        let port = address["port_value"]
            .as_u64()
            .and_then(|port| u16::try_from(port).ok())
            .unwrap_or_default();
        let Some(pod) = ip.and_then(|ip| sidecars.pod_at(ip)) else {
            continue;
        };
        if effective_mode(resources, &pod.namespace, &pod.labels, port) != MtlsMode::Disable {
            endpoint["metadata"]["filter_metadata"]["envoy.transport_socket_match"] =
                json!({"tlsMode": "istio"});
        }
    }
}

/// The SPIFFE ids of the pods behind `service`: who may answer a call to it.
fn peer_identities(service: &Service, sidecars: &Sidecars) -> Vec<String> {
    let mut ids: Vec<String> = service
        .workloads
        .iter()
        .filter_map(|workload| sidecars.pod_at(workload.address.ip()))
        .map(Pod::spiffe_id)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Istio mutual TLS from `pod`: its certificate, the mesh CA, the peer's SAN checked, and
/// istiod's SNI for the cluster (`outbound_.9080_.v1_.reviews.default.svc.cluster.local`).
pub(super) fn upstream_tls(
    sidecars: &Sidecars,
    pod: &Pod,
    peers: &[String],
    cluster: &str,
) -> Value {
    let matchers: Vec<Value> = peers
        .iter()
        .map(|id| json!({"san_type": "URI", "matcher": {"exact": id}}))
        .collect();
    json!({
        "name": "envoy.transport_sockets.tls",
        "typed_config": {
            "@type": UPSTREAM_TLS_TYPE,
            "common_tls_context": {
                "tls_certificates": [{
                    "certificate_chain": {"filename": sidecars.certificate(pod)},
                    "private_key": {"filename": sidecars.private_key(pod)},
                }],
                "validation_context": {
                    "trusted_ca": {"filename": sidecars.ca_certificate()},
                    "match_typed_subject_alt_names": matchers,
                },
            },
            "sni": cluster.replace('|', "_."),
        },
    })
}

/// The route configuration of `pod`'s outbound listeners on `port`.
fn route_config_name(pod: &Pod, port: u16) -> String {
    format!("{}~{port}", pod.name)
}

/// The Host values that mean `service` to a pod: every name a pod of the `default` namespace
/// resolves to it, with and without the port, and the pod's own address for it.
fn domains(service: &Service, address: Ipv4Addr) -> Vec<String> {
    let port = service.port;
    let names = [
        service.name.clone(),
        format!("{}.{NAMESPACE}", service.name),
        format!("{}.{NAMESPACE}.svc", service.name),
        service.fqdn(),
        address.to_string(),
    ];
    names
        .into_iter()
        .flat_map(|name| [format!("{name}:{port}"), name])
        .collect()
}

/// What the sidecars add: listeners, their route configurations, and the inbound clusters.
#[derive(Default)]
pub(super) struct SidecarConfig {
    pub listeners: Vec<ListenerPlan>,
    pub route_configs: Vec<Value>,
    pub clusters: Vec<Value>,
}

/// Every pod's outbound listeners and routes, and its inbound listener and cluster.
pub(super) fn sidecar_config(
    translation: &mut Translation<'_>,
    sidecars: &Sidecars,
    model: &RoutingModel,
    resources: &ResourceSet,
) -> SidecarConfig {
    let mut out = SidecarConfig::default();
    let gateway_filters = sidecars
        .gateway()
        // The gateway's pod port on a cluster (its Service maps 80 to it).
        .map(|gateway| inbound::inbound_http_filters(gateway, INGRESS_TARGET_PORT, resources))
        .unwrap_or_default();
    for pod in sidecars.with_sidecar() {
        let ambient = ambient::captured(pod, resources);
        // One route configuration per pod and port, its virtual hosts told apart by Host as
        // istiod does (a file watch each: Envoy spends an inotify instance per RDS file).
        let mut virtual_hosts: BTreeMap<u16, Vec<Value>> = BTreeMap::new();
        for (index, service) in model.services.iter().enumerate() {
            let Some(address) = sidecars.outbound_ip(&pod.name, index) else {
                continue;
            };
            if ambient {
                // A Service enrolled with a waypoint in force: the bytes go to the waypoint.
                let to_waypoint =
                    waypoint::serving(sidecars, resources, service).and_then(|waypoint| {
                        waypoint::caller_cluster(sidecars, pod, waypoint, service, index)
                    });
                let via = to_waypoint.map(|(name, cluster)| {
                    out.clusters.push(cluster);
                    name
                });
                out.listeners
                    .push(ambient::outbound_listener(pod, service, address, via));
                continue;
            }
            out.listeners.push(ListenerPlan {
                name: format!("{}~{}_{}", pod.name, service.fqdn(), service.port),
                address: IpAddr::V4(address),
                port: service.port,
                route_config: route_config_name(pod, service.port),
                stat_prefix: format!("outbound_{}_{}", service.fqdn(), service.port),
                ingress: false,
                tls: None,
                inbound: None,
                http_filters: Vec::new(),
                tcp_proxy: None,
            });
            let domains = json!(domains(service, address));
            virtual_hosts
                .entry(service.port)
                .or_default()
                .push(translation.sidecar_virtual_host(service, model, Some(pod), domains));
        }
        // The ingress gateway Services lead to the ingress listener's routes.
        for (index, (name, namespace)) in GATEWAY_SERVICES.iter().enumerate() {
            let address = sidecars.gateway_ip(&pod.name, index);
            let (true, Some(address)) = (sidecars.gateway_listeners, address) else {
                continue;
            };
            out.listeners.push(ListenerPlan {
                name: format!("{}~{name}.{namespace}_{GATEWAY_SERVICE_PORT}", pod.name),
                address: IpAddr::V4(address),
                port: GATEWAY_SERVICE_PORT,
                route_config: INGRESS_ROUTE_NAME.to_owned(),
                stat_prefix: format!("outbound_0.0.0.0_{INGRESS_TARGET_PORT}"),
                ingress: true,
                tls: None,
                inbound: None,
                http_filters: gateway_filters.clone(),
                tcp_proxy: None,
            });
        }
        for (port, virtual_hosts) in virtual_hosts {
            out.route_configs.push(json!({
                "@type": ROUTE_CONFIG_TYPE,
                "name": route_config_name(pod, port),
                "validate_clusters": false,
                "virtual_hosts": virtual_hosts,
            }));
        }
        let (PodRole::App { listens }, Some(ip)) = (pod.role, sidecars.pod_ip(&pod.name)) else {
            continue;
        };
        // Every Bookinfo pod serves one port, its Services' 9080.
        let port = model
            .services
            .iter()
            .find(|service| {
                service
                    .workloads
                    .iter()
                    .any(|workload| workload.address.ip() == IpAddr::V4(ip))
            })
            .map_or(crate::topology::SERVICE_PORT, |service| service.port);
        let mode = effective_mode(resources, &pod.namespace, &pod.labels, port);
        let plan = inbound::plan(
            sidecars,
            pod,
            port,
            mode != MtlsMode::Disable,
            mode != MtlsMode::Strict,
        );
        out.clusters.push(inbound::cluster(&plan.cluster, listens));
        let (filters, l4) = if ambient {
            let (l4, warnings) = ambient::inbound_plan(pod, port, plan.cluster.clone(), resources);
            translation.warnings.extend(warnings);
            (Vec::new(), Some(l4))
        } else {
            (inbound::inbound_http_filters(pod, port, resources), None)
        };
        out.listeners.push(ListenerPlan {
            name: format!("{}~inbound_{port}", pod.name),
            address: IpAddr::V4(ip),
            port,
            route_config: plan.cluster.clone(),
            stat_prefix: format!("inbound_0.0.0.0_{port}"),
            ingress: false,
            tls: None,
            // The node proxy's inbound side: the same TLS modes, no HTTP processing.
            http_filters: filters,
            tcp_proxy: l4,
            inbound: Some(plan),
        });
    }
    out
}
