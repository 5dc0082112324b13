//! TLS at the ingress: the filter chains of the HTTPS listener, one per Gateway server with
//! `protocol: HTTPS`, chosen by SNI among the server's hosts and terminating TLS with the
//! certificate of the server's `credentialName` (SIMPLE), checking client certificates
//! against its CA as well (MUTUAL). istiod looks the Secret up in the gateway's namespace
//! (`istio-system`) and in the Gateway's own. PASSTHROUGH servers' chains come from
//! [`super::passthrough`].

use serde_json::{Value, json};

use super::hosts;
use super::model::RoutingModel;
use super::passthrough::{self, PassthroughChain};
use crate::istio::{Credential, ServerTlsMode};

/// The namespace of the ingress gateway's pod, where its credentials usually live.
pub const GATEWAY_NAMESPACE: &str = "istio-system";

const TLS_INSPECTOR_TYPE: &str =
    "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector";
const DOWNSTREAM_TLS_TYPE: &str =
    "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext";

/// One filter chain of the HTTPS listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsChain {
    /// TLS terminated, HTTP routed.
    Terminate(TerminatingChain),
    /// TLS routed by SNI, still encrypted.
    Passthrough(PassthroughChain),
}

impl TlsChain {
    /// The SNI names the chain serves; empty for any name.
    pub fn server_names(&self) -> &[String] {
        match self {
            Self::Terminate(chain) => &chain.server_names,
            Self::Passthrough(chain) => &chain.server_names,
        }
    }
}

/// One HTTPS server's filter chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminatingChain {
    /// SNI names the chain serves; empty for `*` (any name, and no name).
    pub server_names: Vec<String>,
    pub credential: Credential,
    /// MUTUAL: a client certificate signed by the credential's CA is required.
    pub mutual: bool,
}

/// The chains of every HTTPS server whose credential exists; a server without one is left out
/// (its clients fail the handshake, as on a cluster) and reported.
pub fn https_chains(model: &RoutingModel, warnings: &mut Vec<String>) -> Vec<TerminatingChain> {
    let mut chains: Vec<TerminatingChain> = Vec::new();
    for (key, gateway) in model.gateways() {
        for server in &gateway.servers {
            let (Some(tls), true) = (&server.tls, server.is_tls() && !server.is_passthrough())
            else {
                continue;
            };
            let (Some(name), Some(mode)) = (tls.credential_name.as_deref(), tls.mode) else {
                continue;
            };
            let secret = |namespace: &str, name: &str| {
                model.secrets.get(&(namespace.to_owned(), name.to_owned()))
            };
            let found = [GATEWAY_NAMESPACE, key.namespace.as_str()]
                .iter()
                .find_map(|namespace| secret(namespace, name).map(|spec| (*namespace, spec)));
            let Some((namespace, spec)) = found else {
                warnings.push(format!(
                    "{key}: credential {name} not found in {GATEWAY_NAMESPACE} or {}; HTTPS for {} is not served",
                    key.namespace,
                    server.hosts.join(", ")
                ));
                continue;
            };
            let Some(mut credential) = spec.credential() else {
                warnings.push(format!(
                    "{key}: Secret {namespace}/{name} has no certificate and key (tls.crt/tls.key or cert/key)"
                ));
                continue;
            };
            let mutual = mode == ServerTlsMode::Mutual;
            if mutual && credential.ca_certificate.is_none() {
                credential.ca_certificate = secret(namespace, &format!("{name}-cacert"))
                    .and_then(|cacert| cacert.ca_certificate());
                if credential.ca_certificate.is_none() {
                    warnings.push(format!(
                        "{key}: MUTUAL needs ca.crt in Secret {namespace}/{name} (or {name}-cacert); HTTPS for {} is not served",
                        server.hosts.join(", ")
                    ));
                    continue;
                }
            }
            let mut server_names: Vec<String> = server
                .hosts
                .iter()
                .map(|entry| hosts::server_host(entry, &key.namespace).1.to_owned())
                .collect();
            if server_names.iter().any(|host| host == "*") {
                server_names.clear();
            }
            // Envoy refuses two chains with the same match; the older server keeps the names.
            if chains
                .iter()
                .any(|chain| chain.server_names == server_names)
            {
                warnings.push(format!(
                    "{key}: HTTPS hosts {} are already served by another server; ignored",
                    server.hosts.join(", ")
                ));
                continue;
            }
            chains.push(TerminatingChain {
                server_names,
                credential,
                mutual,
            });
        }
    }
    chains
}

/// The listener filter that reads SNI before a chain is chosen.
pub fn tls_inspector() -> Value {
    json!({"name": "envoy.filters.listener.tls_inspector", "typed_config": {"@type": TLS_INSPECTOR_TYPE}})
}

/// The chain: a terminating one around the connection manager `filters`, or a passthrough one
/// logging to `access_log`.
pub fn filter_chain(chain: &TlsChain, filters: &Value, access_log: &Value) -> Value {
    match chain {
        TlsChain::Terminate(chain) => terminating_chain(chain, filters),
        TlsChain::Passthrough(chain) => passthrough::filter_chain(chain, access_log),
    }
}

/// The chain's match and TLS transport socket, around the connection manager `filters`.
fn terminating_chain(chain: &TerminatingChain, filters: &Value) -> Value {
    let credential = &chain.credential;
    let mut common = json!({
        "tls_certificates": [{
            "certificate_chain": {"inline_string": credential.certificate_chain},
            "private_key": {"inline_string": credential.private_key},
        }],
        "alpn_protocols": ["h2", "http/1.1"],
    });
    if chain.mutual
        && let Some(ca) = &credential.ca_certificate
    {
        common["validation_context"] = json!({"trusted_ca": {"inline_string": ca}});
    }
    let mut filter_chain = json!({
        "filters": filters,
        "transport_socket": {
            "name": "envoy.transport_sockets.tls",
            "typed_config": {
                "@type": DOWNSTREAM_TLS_TYPE,
                "common_tls_context": common,
                "require_client_certificate": chain.mutual,
            },
        },
    });
    if !chain.server_names.is_empty() {
        filter_chain["filter_chain_match"] = json!({"server_names": chain.server_names});
    }
    filter_chain
}

/// With no HTTPS server, the listener still stands (so its port stays bound) and closes every
/// connection: a client's handshake fails as against a gateway with no such server.
pub fn closed_chain() -> Value {
    json!({"filters": [{
        "name": "envoy.filters.network.direct_response",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.direct_response.v3.Config",
        },
    }]})
}
