//! Egress. ServiceEntries become clusters named as istiod names them
//! (`outbound|443||www.googleapis.com`), originating TLS where a DestinationRule says
//! `tls.mode: SIMPLE` (with its `sni`, checking the host's certificate against the mesh's egress
//! CA). Each external `host:port` workloads call has a listener whose routes are the
//! VirtualService for that host, else the entry's cluster, else the outbound traffic policy's
//! answer for a host not in the registry: ALLOW_ANY lets the call out as it is
//! (`PassthroughCluster`), REGISTRY_ONLY answers 502, as istiod's `block_all` does.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use serde_json::{Value, json};

use super::passthrough::PassthroughChain;
use super::tls::TlsChain;
use super::{ListenerPlan, ROUTE_CONFIG_TYPE, Translation, hosts, routes};
use crate::egress::{Egress, OutboundTrafficPolicy};
use crate::istio::service_entry::{Resolution, ServiceEntrySpec};
use crate::istio::{ClientTls, DestinationRuleSpec, ResourceKey, TlsMode};
use crate::topology::Topology;

const CLUSTER_TYPE: &str = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
const UPSTREAM_TLS_TYPE: &str =
    "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext";
/// Where Envoy finds the system's CAs when the mesh was given none.
const SYSTEM_CA_FILE: &str = "/etc/ssl/certs/ca-certificates.crt";
/// The cluster istiod sends calls to unknown hosts to under ALLOW_ANY.
pub const PASSTHROUGH_CLUSTER: &str = "PassthroughCluster";

/// What the egress adds to the configuration.
pub(super) struct EgressPlan {
    pub listeners: Vec<ListenerPlan>,
    pub route_configs: Vec<Value>,
    pub clusters: Vec<Value>,
}

impl Translation<'_> {
    /// A cluster per host and port of every ServiceEntry (the oldest entry wins a host:port),
    /// known to the routes translated afterwards.
    pub(super) fn entry_clusters(&mut self, egress: &Egress) -> Vec<Value> {
        let model = self.model;
        let rules = model.destination_rules();
        let mut out = Vec::new();
        for (key, entry) in &model.service_entries {
            for host in entry.hosts.iter().filter(|host| !host.starts_with('*')) {
                for port in &entry.ports {
                    let number = u16::try_from(port.number).unwrap_or_default();
                    let name = format!("outbound|{number}||{host}");
                    if !self.clusters.insert(name.clone()) {
                        continue;
                    }
                    let endpoints =
                        entry_endpoints(entry, host, port.name.as_deref(), number, egress);
                    let mut cluster = external_cluster(&name, host, &key.namespace, endpoints);
                    if let Some(tls) = client_tls(&rules, key, host, number)
                        && tls.mode == TlsMode::Simple
                    {
                        cluster["transport_socket"] = originate_tls(tls, host, egress);
                    }
                    out.push(cluster);
                }
            }
        }
        out
    }

    /// The listeners of the external `host:port`s workloads call, their routes, and the
    /// passthrough clusters ALLOW_ANY needs.
    pub(super) fn egress(&mut self, topology: &Topology) -> EgressPlan {
        let egress = &topology.egress;
        let mut plan = EgressPlan {
            listeners: Vec::new(),
            route_configs: Vec::new(),
            clusters: Vec::new(),
        };
        for listener in &egress.listeners {
            let (host, port) = (listener.host.as_str(), listener.port);
            let route_name = format!("{host}:{port}");
            let entry_cluster = format!("outbound|{port}||{host}");
            let registered = self.clusters.contains(&entry_cluster);
            let tls = if listener.tls {
                // The workload's own TLS, routed by its SNI: the entry's cluster, the host as it
                // is under ALLOW_ANY, or a closed connection under REGISTRY_ONLY.
                let cluster = if registered {
                    Some(entry_cluster)
                } else if egress.policy == OutboundTrafficPolicy::AllowAny {
                    let (name, cluster) = passthrough_cluster(egress, host, port);
                    plan.clusters.push(cluster);
                    Some(name)
                } else {
                    None
                };
                let chains = cluster.map(|cluster| {
                    TlsChain::Passthrough(PassthroughChain {
                        server_names: vec![host.to_owned()],
                        clusters: vec![(cluster, 100)],
                    })
                });
                Some(chains.into_iter().collect())
            } else {
                let routes = self.egress_routes(egress, host, port, registered, &mut plan);
                plan.route_configs.push(json!({
                    "@type": ROUTE_CONFIG_TYPE,
                    "name": route_name,
                    "validate_clusters": false,
                    "virtual_hosts": [{
                        "name": route_name,
                        "domains": ["*"],
                        "routes": routes,
                        "include_request_attempt_count": true,
                    }],
                }));
                None
            };
            let pod_ip = topology
                .sidecars
                .as_ref()
                .zip(listener.pod.as_deref())
                .and_then(|(sidecars, pod)| sidecars.pod_ip(pod));
            plan.listeners.push(ListenerPlan {
                name: Egress::listener_name(host, port),
                address: IpAddr::V4(pod_ip.unwrap_or(Ipv4Addr::LOCALHOST)),
                port: listener.outbound_port,
                route_config: route_name,
                stat_prefix: format!("outbound_{host}_{port}"),
                ingress: false,
                tls,
                inbound: None,
                http_filters: Vec::new(),
            });
        }
        plan
    }

    /// The routes of a plain HTTP egress listener: the VirtualService for the host, else the
    /// entry's cluster, else what the outbound traffic policy says.
    fn egress_routes(
        &mut self,
        egress: &Egress,
        host: &str,
        port: u16,
        registered: bool,
        plan: &mut EgressPlan,
    ) -> Vec<Value> {
        let mesh = BTreeSet::from([hosts::MESH_GATEWAY.to_owned()]);
        // The shared clusters: the entry's are the same for every caller.
        let context = routes::RouteContext {
            listen_port: port,
            gateways: &mesh,
            source: None,
        };
        let mut found = Vec::new();
        if let Some((key, spec)) = self.virtual_service_for(host, self.model) {
            found = routes::virtual_service_routes(key, spec, &context, self);
        }
        if found.is_empty() && registered {
            found.push(routes::default_route(
                &format!("outbound|{port}||{host}"),
                &format!("{host}:{port}/*"),
            ));
        } else if found.is_empty() && egress.policy == OutboundTrafficPolicy::AllowAny {
            let (name, cluster) = passthrough_cluster(egress, host, port);
            plan.clusters.push(cluster);
            found.push(routes::default_route(&name, "allow_any"));
        } else if found.is_empty() {
            found.push(json!({
                "name": "block_all",
                "match": {"prefix": "/"},
                "direct_response": {"status": 502},
            }));
        }
        // The workload called the host; Envoy, standing for it, passes the name on.
        for route in &mut found {
            if let Some(action) = route.get_mut("route").and_then(Value::as_object_mut) {
                action
                    .entry("host_rewrite_literal")
                    .or_insert_with(|| json!(host));
            }
        }
        found
    }
}

/// ALLOW_ANY's way out for `host:port`: where the mesh was told it is, else the host by DNS.
fn passthrough_cluster(egress: &Egress, host: &str, port: u16) -> (String, Value) {
    let name = format!("{PASSTHROUGH_CLUSTER}|{host}:{port}");
    let endpoint = egress.outside_address(host, port).map_or_else(
        || (host.to_owned(), port),
        |a| (a.ip().to_string(), a.port()),
    );
    let cluster = external_cluster(&name, host, "", vec![endpoint]);
    (name, cluster)
}

/// Where the entry's `host:port` goes: the address the mesh was told of, else the
/// endpoints (their port for this port's name, or the port), else the host itself by DNS.
fn entry_endpoints(
    entry: &ServiceEntrySpec,
    host: &str,
    port_name: Option<&str>,
    port: u16,
    egress: &Egress,
) -> Vec<(String, u16)> {
    if let Some(address) = egress.outside_address(host, port) {
        return vec![(address.ip().to_string(), address.port())];
    }
    let target = entry
        .ports
        .iter()
        .find(|candidate| candidate.number == u32::from(port))
        .and_then(|candidate| candidate.target_port)
        .and_then(|target| u16::try_from(target).ok())
        .unwrap_or(port);
    if entry.endpoints.is_empty() || entry.resolution() == Resolution::None {
        return vec![(host.to_owned(), target)];
    }
    entry
        .endpoints
        .iter()
        .map(|endpoint| {
            let own = port_name
                .and_then(|name| endpoint.ports.get(name))
                .and_then(|number| u16::try_from(*number).ok());
            (endpoint.address.clone(), own.unwrap_or(target))
        })
        .collect()
}

/// A cluster of addresses outside the mesh: fixed IPs, or names Envoy resolves by DNS.
fn external_cluster(
    name: &str,
    host: &str,
    namespace: &str,
    endpoints: Vec<(String, u16)>,
) -> Value {
    let all_ips = endpoints
        .iter()
        .all(|(address, _)| address.parse::<std::net::IpAddr>().is_ok());
    let lb_endpoints: Vec<Value> = endpoints
        .iter()
        .map(|(address, port)| {
            json!({"endpoint": {"address": {"socket_address": {"address": address, "port_value": port}}}})
        })
        .collect();
    json!({
        "@type": CLUSTER_TYPE,
        "name": name,
        "type": if all_ips { "STATIC" } else { "STRICT_DNS" },
        "connect_timeout": "10s",
        "lb_policy": "ROUND_ROBIN",
        "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": lb_endpoints}]},
        "metadata": {"filter_metadata": {"istio": {
            "services": [{"host": host, "name": host, "namespace": namespace}],
        }}},
    })
}

/// The `tls` of the DestinationRule for `host` (in the entry's namespace or any other), the
/// port's own settings before the rule's.
fn client_tls<'r>(
    rules: &[(&'r ResourceKey, &'r DestinationRuleSpec)],
    key: &ResourceKey,
    host: &str,
    port: u16,
) -> Option<&'r ClientTls> {
    let (_, rule) = rules
        .iter()
        .filter(|(rule_key, rule)| {
            hosts::covers(&hosts::resolve(&rule.host, &rule_key.namespace), host)
        })
        .min_by_key(|(rule_key, _)| rule_key.namespace != key.namespace)?;
    let policy = rule.traffic_policy.as_ref()?;
    policy
        .port_level_settings
        .iter()
        .find(|setting| setting.port.number == u32::from(port))
        .and_then(|setting| setting.tls.as_ref())
        .or(policy.tls.as_ref())
}

/// TLS to the host: its SNI, and its certificate checked against the egress CA for that name.
fn originate_tls(tls: &ClientTls, host: &str, egress: &Egress) -> Value {
    let sni = tls.sni.as_deref().unwrap_or(host);
    let trusted_ca = match &egress.ca_certificate {
        Some(pem) => json!({"inline_string": pem}),
        None => json!({"filename": SYSTEM_CA_FILE}),
    };
    json!({
        "name": "envoy.transport_sockets.tls",
        "typed_config": {
            "@type": UPSTREAM_TLS_TYPE,
            "sni": sni,
            "common_tls_context": {
                "validation_context": {
                    "trusted_ca": trusted_ca,
                    "match_typed_subject_alt_names": [
                        {"san_type": "DNS", "matcher": {"exact": sni}},
                    ],
                },
            },
        },
    })
}
