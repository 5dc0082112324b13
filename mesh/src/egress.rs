//! What the mesh knows of the world outside it: the mesh-wide outbound traffic policy
//! (`meshConfig.outboundTrafficPolicy.mode`), the CA it trusts when it originates TLS, the
//! external `host:port`s workloads call (each through an egress listener of its own, as a
//! sidecar intercepts a call to that host and port), and where a connection to an outside
//! `host:port` lands (what DNS and the network would decide; tests put stand-ins there).

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// The mesh's egress settings; the default is Istio's: ALLOW_ANY, nothing called.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Egress {
    #[serde(default)]
    pub policy: OutboundTrafficPolicy,
    /// PEM: the CA that signs the certificates of hosts the mesh originates TLS to
    /// (`DestinationRule` `tls.mode: SIMPLE`); the system's CAs when not given.
    #[serde(default)]
    pub ca_certificate: Option<String>,
    #[serde(default)]
    pub listeners: Vec<EgressListener>,
    #[serde(default)]
    pub outside: Vec<OutsideAddress>,
}

/// `meshConfig.outboundTrafficPolicy.mode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OutboundTrafficPolicy {
    /// Calls to hosts no ServiceEntry names go out as they are.
    #[default]
    AllowAny,
    /// Only hosts in the registry (ServiceEntries) are reachable; other calls get 502.
    RegistryOnly,
}

/// An external `host:port` that a workload calls: Envoy listens for it on `outbound_port`, in
/// the calling pod's sidecar when there are pods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EgressListener {
    pub host: String,
    pub port: u16,
    /// The pod whose calls it takes (`details-v1`): the listener is on that pod's own IP.
    /// Without pods, or when not given, on 127.0.0.1.
    #[serde(default)]
    pub pod: Option<String>,
    /// The workload speaks TLS itself (`https://host`): the listener routes the connection
    /// by its SNI, still encrypted, instead of reading HTTP.
    #[serde(default)]
    pub tls: bool,
    /// `0` lets the system choose; [`crate::Ports::egress`] reports the port bound.
    pub outbound_port: u16,
}

/// Where a connection to `host:port` outside the mesh lands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutsideAddress {
    pub host: String,
    pub port: u16,
    pub address: SocketAddr,
}

impl OutboundTrafficPolicy {
    /// `REGISTRY_ONLY` or `ALLOW_ANY`, as meshConfig spells them.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ALLOW_ANY" => Some(Self::AllowAny),
            "REGISTRY_ONLY" => Some(Self::RegistryOnly),
            _ => None,
        }
    }
}

impl Egress {
    /// Where a connection to `host:port` lands, when the mesh was told.
    pub fn outside_address(&self, host: &str, port: u16) -> Option<SocketAddr> {
        self.outside
            .iter()
            .find(|outside| outside.host == host && outside.port == port)
            .map(|outside| outside.address)
    }

    /// The name of the egress listener for `host:port`.
    pub fn listener_name(host: &str, port: u16) -> String {
        format!("{host}_{port}")
    }
}
