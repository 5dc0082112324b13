//! The translator: a [`Topology`] and a [`ResourceSet`] in, Envoy listeners, route
//! configurations and clusters out — a pure function, following what istiod generates for the
//! same YAML so that a result here is the result on a cluster.
//!
//! Layout of the generated configuration:
//! - with pods ([`crate::identity`]): each pod's sidecar, i.e. an outbound listener per
//!   service on the pod's own address for it, one route configuration per pod, clusters of its
//!   own with its certificate, and an inbound listener on the pod's IP (`sidecars`,
//!   [`inbound`]);
//! - without pods: one listener per service on its outbound port whose route configuration has
//!   one virtual host for that service; callers reach the service through it;
//! - one ingress listener (the `istio-ingressgateway`) whose route configuration holds what the
//!   Gateways and their bound VirtualServices allow, and nothing (404) otherwise;
//! - clusters named as istiod names them (`outbound|9080|v1|reviews.default.svc.cluster.local`);
//! - on a pod's inbound listener and the ingress, the AuthorizationPolicies as RBAC filters
//!   ([`rbac`], through [`inbound::inbound_http_filters`]).

mod ambient;
mod clusters;
pub mod egress;
mod filters;
mod hbone;
pub mod hosts;
pub mod inbound;
pub(crate) mod listeners;
pub mod model;
pub mod passthrough;
mod policies;
pub mod rbac;
mod rbac_l4;
mod rbac_matchers;
mod route_matches;
mod routes;
mod sidecar_routes;
mod sidecars;
pub mod tls;
mod waypoint;

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

use serde_json::{Value, json};

pub use listeners::Layout;
pub use policies::{DEFAULT_RETRIES, DEFAULT_RETRY_ON};
pub use routes::DEFAULT_ROUTE_NAME;

use crate::error::TranslateError;
use crate::identity::{Pod, Sidecars};
use crate::istio::{Destination, DestinationRuleSpec, ResourceKey, ResourceSet};
use crate::topology::{Service, Topology};
use hosts::MESH_GATEWAY;
use model::RoutingModel;
use routes::RouteContext;

/// The name of the fault filter, and the key of its per-route configuration.
pub const ROUTER_FAULT_FILTER: &str = "envoy.filters.http.fault";

/// The ingress route configuration's name (istiod: `http.<port>`).
pub const INGRESS_ROUTE_NAME: &str = "http.8080";

/// The port the ingress gateway's pod listens on; Gateway servers on 80 land here too.
pub const INGRESS_TARGET_PORT: u16 = 8080;

/// The HTTPS ingress route configuration's name.
pub const INGRESS_HTTPS_ROUTE_NAME: &str = "https.443";

/// The ingress pod's HTTPS port; Gateway servers on 443 land here too.
pub const INGRESS_HTTPS_TARGET_PORT: u16 = 8443;

const ROUTE_CONFIG_TYPE: &str = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";

/// Everything Envoy needs, ready to be written as xDS files.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvoyConfig {
    /// One per listener: where it listens and which route configuration it uses.
    pub listeners: Vec<ListenerPlan>,
    /// `RouteConfiguration` resources (RDS), one per listener.
    pub route_configs: Vec<Value>,
    /// `Cluster` resources (CDS).
    pub clusters: Vec<Value>,
    /// Things that are valid Istio but probably not what was meant (a subset no
    /// DestinationRule defines, a host that matches no service): reported, not refused.
    pub warnings: Vec<String>,
}

// === impl EnvoyConfig ===

impl EnvoyConfig {
    /// The `Listener` resources, with the paths of their route files and access log.
    pub fn listener_resources(&self, layout: &Layout) -> Vec<Value> {
        self.listeners
            .iter()
            .map(|plan| listeners::listener(plan, layout))
            .collect()
    }

    /// The route configuration named `name` (`http.8080`, `reviews.default.svc.cluster.local:9080`).
    pub fn route_config(&self, name: &str) -> Option<&Value> {
        self.route_configs
            .iter()
            .find(|route_config| route_config["name"] == name)
    }

    /// The cluster named `name`.
    pub fn cluster(&self, name: &str) -> Option<&Value> {
        self.clusters.iter().find(|cluster| cluster["name"] == name)
    }
}

/// A listener before the paths of its files are known.
#[derive(Debug, Clone, PartialEq)]
pub struct ListenerPlan {
    pub name: String,
    /// `127.0.0.1` for the ingress; a pod's own loopback address for its sidecar listeners.
    pub address: IpAddr,
    pub port: u16,
    pub route_config: String,
    pub stat_prefix: String,
    /// The ingress gateway (`true`) or a sidecar outbound listener.
    pub ingress: bool,
    /// The HTTPS ingress: TLS terminated by one chain per HTTPS server (none: every
    /// connection is closed). `None` for plain HTTP listeners.
    pub tls: Option<Vec<tls::TlsChain>>,
    /// A pod's inbound listener: its TLS modes.
    pub inbound: Option<inbound::InboundPlan>,
    /// HTTP filters before the fault filter and the router: a pod's, or on the ingress
    /// listeners the gateway pod's, from [`inbound::inbound_http_filters`].
    pub http_filters: Vec<Value>,
    /// An L4 listener (the ambient node proxy's): every connection's bytes to a cluster, no
    /// HTTP processing (`route_config` and `http_filters` unused).
    pub tcp_proxy: Option<ambient::L4Plan>,
}

/// State shared while translating: the routing model, the clusters that will exist, and
/// warnings.
pub(crate) struct Translation<'a> {
    model: &'a RoutingModel,
    sidecars: Option<&'a Sidecars>,
    /// The resources as applied, for what the routing model leaves out (PeerAuthentication).
    applied: &'a ResourceSet,
    clusters: BTreeSet<String>,
    warnings: Vec<String>,
}

/// Translates the resource set for the topology. Refuses (and writes nothing) when a resource
/// cannot be expressed; merely suspicious configuration comes back as warnings.
pub fn translate(
    topology: &Topology,
    resources: &ResourceSet,
) -> Result<EnvoyConfig, TranslateError> {
    let model = RoutingModel::build(topology, resources);
    let authz_warnings = rbac::warnings(resources);
    let applied = resources;
    let resources = &model;
    let mut translation = Translation {
        model: &model,
        sidecars: topology.sidecars.as_ref(),
        applied,
        clusters: BTreeSet::new(),
        warnings: model.warnings.clone(),
    };
    let mut clusters = translation.clusters(resources);
    clusters.extend(translation.entry_clusters(&topology.egress));
    let mut route_configs = Vec::new();
    let mut listeners = Vec::new();

    // Without pods (the translator's and Envoy's own tests) the gateway is still Istio's.
    let gateway = topology
        .sidecars
        .as_ref()
        .and_then(Sidecars::gateway)
        .cloned()
        .unwrap_or_else(Pod::ingress_gateway);
    // The gateway's plain HTTP listener, then its HTTPS one (TLS chains, possibly none).
    let chains = translation.https_ingress_chains();
    let ingresses = [
        (
            INGRESS_TARGET_PORT,
            topology.ingress_port,
            INGRESS_ROUTE_NAME,
            None,
        ),
        (
            INGRESS_HTTPS_TARGET_PORT,
            topology.ingress_https_port,
            INGRESS_HTTPS_ROUTE_NAME,
            Some(chains),
        ),
    ];
    for (target_port, port, route_config, tls) in ingresses {
        let https = tls.is_some();
        listeners.push(ListenerPlan {
            name: format!("0.0.0.0_{target_port}"),
            port,
            route_config: route_config.to_owned(),
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            stat_prefix: format!("outbound_0.0.0.0_{target_port}"),
            ingress: true,
            tls,
            inbound: None,
            http_filters: inbound::inbound_http_filters(&gateway, target_port, applied),
            tcp_proxy: None,
        });
        route_configs.push(translation.ingress_routes(resources, https));
    }

    if let Some(sidecars) = &topology.sidecars {
        // Every pod calls through its own sidecar; there is no shared outbound listener.
        let warned = translation.warnings.len();
        for added in [
            sidecars::sidecar_config(&mut translation, sidecars, &model, applied),
            waypoint::waypoint_config(&mut translation, sidecars, &model, applied),
        ] {
            listeners.extend(added.listeners);
            route_configs.extend(added.route_configs);
            clusters.extend(added.clusters);
        }
        // Each sidecar translates the same VirtualServices: say each problem once.
        let mut seen: BTreeSet<String> = translation.warnings[..warned].iter().cloned().collect();
        let mut index = warned;
        while index < translation.warnings.len() {
            if seen.insert(translation.warnings[index].clone()) {
                index += 1;
            } else {
                translation.warnings.remove(index);
            }
        }
    }
    let shared_outbound = if topology.sidecars.is_some() {
        &[][..]
    } else {
        &topology.services[..]
    };
    for service in shared_outbound {
        let route_name = format!("{}:{}", service.fqdn(), service.port);
        listeners.push(ListenerPlan {
            name: format!("{}_{}", service.fqdn(), service.port),
            port: service.outbound_port,
            route_config: route_name.clone(),
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            stat_prefix: format!("outbound_{}_{}", service.fqdn(), service.port),
            ingress: false,
            tls: None,
            inbound: None,
            http_filters: Vec::new(),
            tcp_proxy: None,
        });
        route_configs.push(translation.sidecar_routes(service, &route_name, resources));
    }
    let egress = translation.egress(topology);
    listeners.extend(egress.listeners);
    route_configs.extend(egress.route_configs);
    clusters.extend(egress.clusters);
    translation.warn_about_unbound(resources);
    translation.warnings.extend(authz_warnings);

    Ok(EnvoyConfig {
        listeners,
        route_configs,
        clusters,
        warnings: translation.warnings,
    })
}

// === impl Translation ===

impl Translation<'_> {
    /// A service's cluster of all workloads, and one per subset of the DestinationRule that
    /// applies to it.
    fn clusters(&mut self, resources: &RoutingModel) -> Vec<Value> {
        let rules = resources.destination_rules();
        let mut built = Vec::new();
        for service in &self.model.services {
            let rule = self.rule_for(service, &rules);
            let policy = rule.and_then(|(_, spec)| spec.traffic_policy.as_ref());
            let subsets = rule
                .map(|(_, spec)| spec.subsets.as_slice())
                .unwrap_or_default();
            for subset in std::iter::once(None).chain(subsets.iter().map(Some)) {
                built.push(sidecars::BuiltCluster {
                    cluster: clusters::cluster(service, subset, policy),
                    service,
                    tls: clusters::tls_mode(policy, subset),
                });
            }
        }
        for (key, spec) in &rules {
            let host = hosts::resolve(&spec.host, &key.namespace);
            let known = self.model.has_entry_for(&host)
                || self
                    .model
                    .services
                    .iter()
                    .any(|service| hosts::covers(&host, &service.fqdn()));
            if !known {
                self.warnings
                    .push(format!("{key}: host {host} matches no service here"));
            }
        }
        self.clusters = built
            .iter()
            .filter_map(|built| built.cluster["name"].as_str().map(str::to_owned))
            .collect();
        match self.sidecars {
            Some(sidecars) => sidecars::clusters(built, sidecars, self.applied),
            None => built.into_iter().map(|built| built.cluster).collect(),
        }
    }

    /// The DestinationRule for a service: an exact host before a wildcard, a more specific
    /// wildcard before a broader one, then the oldest. The others are reported.
    fn rule_for<'r>(
        &mut self,
        service: &Service,
        rules: &[(&'r ResourceKey, &'r DestinationRuleSpec)],
    ) -> Option<(&'r ResourceKey, &'r DestinationRuleSpec)> {
        let fqdn = service.fqdn();
        let mut matching: Vec<(usize, &(&ResourceKey, &DestinationRuleSpec), String)> = rules
            .iter()
            .enumerate()
            .map(|(age, rule)| (age, rule, hosts::resolve(&rule.1.host, &rule.0.namespace)))
            .filter(|(_, _, host)| hosts::covers(host, &fqdn))
            .collect();
        matching.sort_by(|a, b| {
            hosts::specificity(&b.2)
                .cmp(&hosts::specificity(&a.2))
                .then(a.0.cmp(&b.0))
        });
        let chosen = matching.first().map(|(_, rule, _)| **rule)?;
        for (_, (key, _), host) in matching.iter().skip(1) {
            if *host == hosts::resolve(&chosen.1.host, &chosen.0.namespace) {
                self.warnings.push(format!(
                    "{key}: ignored for {fqdn}: {} already applies (Istio uses the oldest)",
                    chosen.0
                ));
            }
        }
        Some(chosen)
    }

    /// The ingress route configuration: a virtual host per host that a Gateway server and a
    /// VirtualService bound to that Gateway have in common, with the routes of every such
    /// VirtualService (oldest first, catch-alls last). No Gateway or no binding: no virtual
    /// hosts, so Envoy answers 404. `https` picks the HTTPS servers' configuration, otherwise
    /// the plain HTTP servers' (where `httpsRedirect` makes a host answer 301 to https).
    fn ingress_routes(&mut self, resources: &RoutingModel, https: bool) -> Value {
        let gateways = resources.gateways();
        // Host -> (the server that first admitted it: port and redirect; the merged routes).
        let mut virtual_hosts: BTreeMap<String, (u32, bool, Vec<Value>)> = BTreeMap::new();
        for (gateway_key, gateway) in &gateways {
            let gateway_name = format!("{}/{}", gateway_key.namespace, gateway_key.name);
            let names = BTreeSet::from([gateway_name.clone()]);
            for server in &gateway.servers {
                if server.port.protocol.eq_ignore_ascii_case("HTTPS") != https
                    || server.is_passthrough()
                {
                    continue;
                }
                let redirect = server.tls.as_ref().is_some_and(|tls| tls.https_redirect);
                // A Gateway API Gateway's routes call with its own pod's identity.
                let source = model::gateway_api_parent(&gateway_key.name).and_then(|gateway| {
                    self.sidecars
                        .and_then(|sidecars| sidecars.gateway_api_pod(gateway))
                        .filter(|pod| pod.namespace == gateway_key.namespace)
                });
                let context = RouteContext {
                    listen_port: u16::try_from(server.port.number).unwrap_or(INGRESS_TARGET_PORT),
                    gateways: &names,
                    source,
                };
                for (key, spec) in resources.virtual_services() {
                    let bound = spec.gateways.iter().any(|gateway| {
                        hosts::gateway_name(gateway, &key.namespace) == gateway_name
                    });
                    if !bound {
                        continue;
                    }
                    let mut shared = BTreeSet::new();
                    for entry in &server.hosts {
                        let (namespace, server_host) =
                            hosts::server_host(entry, &gateway_key.namespace);
                        if namespace.is_some_and(|namespace| namespace != key.namespace) {
                            continue;
                        }
                        for host in &spec.hosts {
                            let host = hosts::resolve(host, &key.namespace);
                            if let Some(common) = hosts::intersect(server_host, &host) {
                                shared.insert(common);
                            }
                        }
                    }
                    if shared.is_empty() {
                        continue;
                    }
                    let built = routes::virtual_service_routes(key, spec, &context, self);
                    for host in shared {
                        virtual_hosts
                            .entry(host)
                            .or_insert_with(|| (server.port.number, redirect, Vec::new()))
                            .2
                            .extend(built.iter().cloned());
                    }
                }
            }
        }
        let mut hosts_out: Vec<(String, Value)> = virtual_hosts
            .into_iter()
            .map(|(host, (port, redirect, routes))| {
                // Any port for a plain host (the gateway may sit behind a balancer); Envoy allows
                // one wildcard per domain, so a wildcard host keeps the server's port.
                let domains = if host == "*" {
                    json!(["*"])
                } else if host.starts_with('*') {
                    json!([host, format!("{host}:{port}")])
                } else {
                    json!([host, format!("{host}:*")])
                };
                let target_port = if https {
                    INGRESS_HTTPS_TARGET_PORT
                } else {
                    INGRESS_TARGET_PORT
                };
                let mut virtual_host = json!({
                    "name": format!("{host}:{target_port}"),
                    "domains": domains,
                    "routes": routes::sort_catch_all_last(routes),
                    "include_request_attempt_count": true,
                });
                if redirect {
                    // Envoy answers 301 to the https:// URL, as istiod configures it.
                    virtual_host["require_tls"] = json!("ALL");
                }
                (host, virtual_host)
            })
            .collect();
        // Specific hosts before wildcards, so `*` does not hide them from a reader of the dump.
        hosts_out.sort_by(|a, b| {
            hosts::specificity(&b.0)
                .cmp(&hosts::specificity(&a.0))
                .then(a.0.cmp(&b.0))
        });
        json!({
            "@type": ROUTE_CONFIG_TYPE,
            "name": if https { INGRESS_HTTPS_ROUTE_NAME } else { INGRESS_ROUTE_NAME },
            "validate_clusters": false,
            "virtual_hosts": hosts_out.into_iter().map(|(_, host)| host).collect::<Vec<_>>(),
        })
    }

    /// The cluster a route destination names, with a warning when it will not exist: on a
    /// cluster such requests fail with 503 (no cluster), and they do here too.
    fn destination_cluster(
        &mut self,
        key: &ResourceKey,
        path: &str,
        destination: &Destination,
        listen_port: u16,
    ) -> String {
        let host = hosts::resolve(&destination.host, &key.namespace);
        let service = self.model.service_by_fqdn(&host);
        let port = service.map_or(listen_port, |service| service.port);
        let name = routes::cluster_name(destination, &key.namespace, port);
        if !self.clusters.contains(&name) {
            let wrong_port = destination
                .port
                .as_ref()
                .map(|port| port.number)
                .filter(|number| service.is_some_and(|service| u32::from(service.port) != *number));
            let reason = match (service, wrong_port, destination.subset.as_deref()) {
                (None, _, _) => format!("host {host} matches no service"),
                (Some(_), Some(number), _) => format!("{host} has no port {number}"),
                (Some(_), None, Some(subset)) => format!(
                    "subset {subset} of {host} is defined by no DestinationRule (apply the rule first)"
                ),
                (Some(_), None, None) => format!("{host} has no such cluster"),
            };
            self.warnings.push(format!(
                "{key}: {path} goes to {name}, which does not exist: {reason}; such requests get 503"
            ));
        }
        name
    }

    /// VirtualServices that reach no listener here.
    fn warn_about_unbound(&mut self, resources: &RoutingModel) {
        let gateway_names: BTreeSet<String> = resources
            .gateways()
            .iter()
            .map(|(key, _)| format!("{}/{}", key.namespace, key.name))
            .collect();
        for (key, spec) in resources.virtual_services() {
            for gateway in &spec.gateways {
                let name = hosts::gateway_name(gateway, &key.namespace);
                if name != MESH_GATEWAY && !gateway_names.contains(&name) {
                    self.warnings
                        .push(format!("{key}: gateway {name} does not exist (yet)"));
                }
            }
            if routes::applies_to_mesh(spec) && !spec.tls.is_empty() {
                self.warnings.push(format!(
                    "{key}: tls routes apply to PASSTHROUGH gateway servers only here; the sidecars ignore them"
                ));
            }
            if routes::applies_to_mesh(spec) {
                for host in &spec.hosts {
                    let host = hosts::resolve(host, &key.namespace);
                    let reaches_a_service = self.model.has_entry_for(&host)
                        || self
                            .model
                            .services
                            .iter()
                            .any(|service| hosts::covers(&host, &service.fqdn()));
                    if !reaches_a_service {
                        self.warnings
                            .push(format!("{key}: host {host} matches no service here"));
                    }
                }
            }
        }
    }
}
