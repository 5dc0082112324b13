//! TLS passthrough at the ingress: a Gateway server with `tls.mode: PASSTHROUGH` and the
//! VirtualService `tls` routes bound to it become filter chains of the HTTPS listener, chosen
//! by SNI (`server_names`), that hand the still-encrypted stream to a `tcp_proxy`, as istiod
//! configures the gateway for SNI routing.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::tls::{self, TlsChain};
use super::{Translation, hosts};
use crate::istio::{ResourceKey, Server, TlsRoute};

const TCP_PROXY_TYPE: &str =
    "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";

/// One SNI route: the names it serves and its clusters with their weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassthroughChain {
    pub server_names: Vec<String>,
    pub clusters: Vec<(String, u32)>,
}

impl Translation<'_> {
    /// The HTTPS ingress listener's chains: the terminating servers', then the PASSTHROUGH
    /// routes' on the SNI names left.
    pub(super) fn https_ingress_chains(&mut self) -> Vec<TlsChain> {
        let terminating = tls::https_chains(self.model, &mut self.warnings);
        let taken = terminating
            .iter()
            .flat_map(|chain| chain.server_names.iter().cloned())
            .collect();
        let passthrough = self.passthrough_chains(taken);
        terminating
            .into_iter()
            .map(TlsChain::Terminate)
            .chain(passthrough.into_iter().map(TlsChain::Passthrough))
            .collect()
    }

    /// The chains of every PASSTHROUGH server's bound `tls` routes, oldest VirtualService first.
    /// A name already served (by a terminating server or an older route) is left to it, since
    /// Envoy refuses two chains with the same match; that is reported.
    fn passthrough_chains(&mut self, mut taken: BTreeSet<String>) -> Vec<PassthroughChain> {
        let model = self.model;
        let mut chains = Vec::new();
        for (gateway_key, gateway) in model.gateways() {
            let gateway_name = format!("{}/{}", gateway_key.namespace, gateway_key.name);
            for server in gateway
                .servers
                .iter()
                .filter(|server| server.is_passthrough())
            {
                for (key, spec) in model.virtual_services() {
                    let bound = spec.gateways.iter().any(|gateway| {
                        hosts::gateway_name(gateway, &key.namespace) == gateway_name
                    });
                    if !bound {
                        continue;
                    }
                    for (index, rule) in spec.tls.iter().enumerate() {
                        let names =
                            sni_names(rule, server, &gateway_key.namespace, key, &gateway_name);
                        let (fresh, served): (Vec<String>, Vec<String>) = names
                            .into_iter()
                            .partition(|name| taken.insert(name.clone()));
                        if !served.is_empty() {
                            self.warnings.push(format!(
                                "{key}: tls[{index}]: SNI {} is already served on the gateway; ignored",
                                served.join(", ")
                            ));
                        }
                        if fresh.is_empty() {
                            continue;
                        }
                        let clusters = self.weighted_clusters(key, index, rule, server);
                        if clusters.is_empty() {
                            continue;
                        }
                        chains.push(PassthroughChain {
                            server_names: fresh,
                            clusters,
                        });
                    }
                }
            }
        }
        chains
    }

    fn weighted_clusters(
        &mut self,
        key: &ResourceKey,
        index: usize,
        rule: &TlsRoute,
        server: &Server,
    ) -> Vec<(String, u32)> {
        let listen_port = u16::try_from(server.port.number).unwrap_or_default();
        rule.route
            .iter()
            .filter_map(|destination| {
                let weight = destination
                    .weight
                    .map_or(100, |weight| weight.clamp(0, 100));
                let weight = u32::try_from(weight).ok().filter(|weight| *weight > 0)?;
                let cluster = self.destination_cluster(
                    key,
                    &format!("tls[{index}]"),
                    &destination.destination,
                    listen_port,
                );
                Some((cluster, weight))
            })
            .collect()
    }
}

/// The SNI names a rule takes on a server: each of its `sniHosts` that one of the server's
/// hosts admits, when the match applies to this gateway and port.
fn sni_names(
    rule: &TlsRoute,
    server: &Server,
    gateway_namespace: &str,
    key: &ResourceKey,
    gateway_name: &str,
) -> Vec<String> {
    let mut names = Vec::new();
    for block in &rule.matches {
        let on_this_gateway = block.gateways.is_empty()
            || block
                .gateways
                .iter()
                .any(|gateway| hosts::gateway_name(gateway, &key.namespace) == gateway_name);
        let on_this_port = block.port.is_none_or(|port| port == server.port.number);
        if !on_this_gateway || !on_this_port {
            continue;
        }
        for entry in &server.hosts {
            let (namespace, server_host) = hosts::server_host(entry, gateway_namespace);
            if namespace.is_some_and(|namespace| namespace != key.namespace) {
                continue;
            }
            for sni in &block.sni_hosts {
                if let Some(name) = hosts::intersect(server_host, sni)
                    && !names.contains(&name)
                {
                    names.push(name);
                }
            }
        }
    }
    names
}

/// The chain: matched by SNI, the stream proxied as it is to the route's cluster(s).
pub fn filter_chain(chain: &PassthroughChain, access_log: &Value) -> Value {
    let mut proxy = json!({
        "@type": TCP_PROXY_TYPE,
        "access_log": access_log,
    });
    match chain.clusters.as_slice() {
        [(only, _)] => {
            proxy["stat_prefix"] = json!(only);
            proxy["cluster"] = json!(only);
        }
        clusters => {
            proxy["stat_prefix"] = json!("passthrough");
            proxy["weighted_clusters"] = json!({"clusters": clusters
                .iter()
                .map(|(name, weight)| json!({"name": name, "weight": weight}))
                .collect::<Vec<_>>()});
        }
    }
    json!({
        "filter_chain_match": {"server_names": chain.server_names},
        "filters": [{"name": "envoy.filters.network.tcp_proxy", "typed_config": proxy}],
    })
}
