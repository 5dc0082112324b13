//! The `spec` of each supported Istio kind, field by field. A field Istio has but this mesh does
//! not simulate is simply absent here: serde's `deny_unknown_fields` turns it into a refusal that
//! names the field's path, so nothing is silently ignored.
//!
//! These structs are also the one routing model both APIs translate through (as istiod turns
//! Gateway API resources into its internal Gateways and VirtualServices). The fields marked
//! `serde(skip)` exist only for what the Gateway API expresses: YAML cannot set them, so a
//! VirtualService that tries is refused by name as before.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::duration::IstioDuration;

// === Gateway ===

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GatewaySpec {
    #[serde(default)]
    pub selector: BTreeMap<String, String>,
    #[serde(default)]
    pub servers: Vec<Server>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Server {
    pub port: ServerPort,
    #[serde(default)]
    pub hosts: Vec<String>,
    pub name: Option<String>,
    pub tls: Option<ServerTls>,
}

/// `servers[].tls`: how the ingress terminates TLS, or redirects plain HTTP to HTTPS.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServerTls {
    #[serde(default)]
    pub https_redirect: bool,
    pub mode: Option<ServerTlsMode>,
    /// The Secret with the certificate, its key and (for MUTUAL) `ca.crt`.
    pub credential_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ServerTlsMode {
    Simple,
    Mutual,
    /// The connection is routed by its SNI, still encrypted, by a VirtualService `tls` route.
    Passthrough,
}

// === impl Server ===

impl Server {
    /// Whether the server sits on the HTTPS ingress listener (`protocol: HTTPS` or `TLS`).
    pub fn is_tls(&self) -> bool {
        ["HTTPS", "TLS"]
            .iter()
            .any(|protocol| self.port.protocol.eq_ignore_ascii_case(protocol))
    }

    /// `tls.mode: PASSTHROUGH`: the ingress routes the encrypted stream and terminates nothing.
    pub fn is_passthrough(&self) -> bool {
        self.tls
            .as_ref()
            .is_some_and(|tls| tls.mode == Some(ServerTlsMode::Passthrough))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServerPort {
    pub number: u32,
    pub name: Option<String>,
    pub protocol: String,
}

// === VirtualService ===

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VirtualServiceSpec {
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Gateways (`name` or `namespace/name`) and the reserved `mesh`; empty means `mesh` only.
    #[serde(default)]
    pub gateways: Vec<String>,
    #[serde(default)]
    pub http: Vec<HttpRoute>,
    /// Routes for TLS connections passed through by SNI (a PASSTHROUGH Gateway server).
    #[serde(default)]
    pub tls: Vec<TlsRoute>,
    /// Converted from an HTTPRoute: path prefixes match whole segments, as the Gateway API
    /// defines `PathPrefix` (istiod's `UseGatewaySemantics`).
    #[serde(skip)]
    pub gateway_semantics: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpRoute {
    pub name: Option<String>,
    /// Blocks ORed; the conditions inside one block ANDed. Empty matches everything.
    #[serde(default, rename = "match")]
    pub matches: Vec<MatchRequest>,
    #[serde(default)]
    pub route: Vec<RouteDestination>,
    pub fault: Option<Fault>,
    pub timeout: Option<IstioDuration>,
    pub retries: Option<Retries>,
    pub rewrite: Option<Rewrite>,
    pub mirror: Option<Destination>,
    pub mirror_percentage: Option<Percent>,
    /// Headers to set, add and remove (RequestHeaderModifier, ResponseHeaderModifier).
    #[serde(skip)]
    pub headers: HeaderOperations,
    /// Answer with a redirect instead of routing (RequestRedirect).
    #[serde(skip)]
    pub redirect: Option<Redirect>,
    /// Answer with this status instead of routing: 500 for a route whose backends name no
    /// Service, as the Gateway API requires.
    #[serde(skip)]
    pub direct_response: Option<u16>,
}

/// `tls[]`: connections whose SNI matches go, still encrypted, to the destinations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TlsRoute {
    #[serde(default, rename = "match")]
    pub matches: Vec<TlsMatch>,
    #[serde(default)]
    pub route: Vec<RouteDestination>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TlsMatch {
    #[serde(default)]
    pub sni_hosts: Vec<String>,
    pub port: Option<u32>,
    #[serde(default)]
    pub gateways: Vec<String>,
}

/// Header edits on the way to the backend and on the way back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderOperations {
    pub request: HeaderEdits,
    pub response: HeaderEdits,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderEdits {
    /// (name, value): replaces any header of that name.
    pub set: Vec<(String, String)>,
    /// (name, value): appended to any header of that name.
    pub add: Vec<(String, String)>,
    pub remove: Vec<String>,
}

/// Where a redirect sends the client; unset parts keep the request's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub scheme: Option<String>,
    pub authority: Option<String>,
    pub port: Option<u16>,
    pub path: Option<PathRewrite>,
    /// 301 or 302.
    pub status: u16,
}

/// A new path: all of it, or the part the route's prefix matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathRewrite {
    Full(String),
    Prefix(String),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MatchRequest {
    pub name: Option<String>,
    pub uri: Option<StringMatch>,
    #[serde(default)]
    pub headers: BTreeMap<String, StringMatch>,
    #[serde(default)]
    pub without_headers: BTreeMap<String, StringMatch>,
    #[serde(default)]
    pub query_params: BTreeMap<String, StringMatch>,
    pub method: Option<StringMatch>,
    pub authority: Option<StringMatch>,
    pub scheme: Option<StringMatch>,
    #[serde(default)]
    pub ignore_uri_case: bool,
    pub port: Option<u32>,
    #[serde(default)]
    pub gateways: Vec<String>,
    /// The calling workload's labels must include these (sidecars only: a gateway has none
    /// here).
    #[serde(default)]
    pub source_labels: BTreeMap<String, String>,
}

/// One of `exact`, `prefix` or `regex` (RE2, whole-string), or none: "present".
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StringMatch {
    pub exact: Option<String>,
    pub prefix: Option<String>,
    pub regex: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RouteDestination {
    pub destination: Destination,
    pub weight: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Destination {
    pub host: String,
    pub subset: Option<String>,
    pub port: Option<PortSelector>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PortSelector {
    pub number: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Fault {
    pub delay: Option<FaultDelay>,
    pub abort: Option<FaultAbort>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FaultDelay {
    pub fixed_delay: Option<IstioDuration>,
    pub percentage: Option<Percent>,
    /// The deprecated integer form (older upstream files use `percent: 100`).
    pub percent: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FaultAbort {
    pub http_status: Option<u32>,
    pub percentage: Option<Percent>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Percent {
    pub value: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Retries {
    pub attempts: Option<i64>,
    pub per_try_timeout: Option<IstioDuration>,
    pub retry_on: Option<String>,
    pub retry_ignore_previous_hosts: Option<bool>,
    pub backoff: Option<IstioDuration>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Rewrite {
    pub uri: Option<String>,
    pub authority: Option<String>,
    /// Replaces the whole path (URLRewrite `ReplaceFullPath`); `uri` replaces the matched prefix.
    #[serde(skip)]
    pub full_path: Option<String>,
}

// === DestinationRule ===

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DestinationRuleSpec {
    pub host: String,
    pub traffic_policy: Option<TrafficPolicy>,
    #[serde(default)]
    pub subsets: Vec<Subset>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Subset {
    pub name: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    pub traffic_policy: Option<TrafficPolicy>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TrafficPolicy {
    pub load_balancer: Option<LoadBalancer>,
    pub connection_pool: Option<ConnectionPool>,
    pub outlier_detection: Option<OutlierDetection>,
    pub tls: Option<ClientTls>,
    #[serde(default)]
    pub port_level_settings: Vec<PortTrafficPolicy>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LoadBalancer {
    pub simple: Option<SimpleLb>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SimpleLb {
    #[serde(rename = "UNSPECIFIED")]
    Unspecified,
    #[serde(rename = "ROUND_ROBIN")]
    RoundRobin,
    #[serde(rename = "RANDOM")]
    Random,
    #[serde(rename = "LEAST_REQUEST")]
    LeastRequest,
    /// Deprecated in Istio; treated as `LEAST_REQUEST`, as Istio does.
    #[serde(rename = "LEAST_CONN")]
    LeastConn,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConnectionPool {
    pub tcp: Option<TcpSettings>,
    pub http: Option<HttpSettings>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TcpSettings {
    pub max_connections: Option<u32>,
    pub connect_timeout: Option<IstioDuration>,
    pub max_connection_duration: Option<IstioDuration>,
    pub idle_timeout: Option<IstioDuration>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpSettings {
    pub http1_max_pending_requests: Option<u32>,
    pub http2_max_requests: Option<u32>,
    pub max_requests_per_connection: Option<u32>,
    pub max_retries: Option<u32>,
    pub idle_timeout: Option<IstioDuration>,
    pub h2_upgrade_policy: Option<H2UpgradePolicy>,
}

/// Only the policies that keep HTTP/1.1 to the workloads; `UPGRADE` is not simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum H2UpgradePolicy {
    #[serde(rename = "DEFAULT")]
    Default,
    #[serde(rename = "DO_NOT_UPGRADE")]
    DoNotUpgrade,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OutlierDetection {
    pub consecutive_5xx_errors: Option<u32>,
    pub consecutive_gateway_errors: Option<u32>,
    pub interval: Option<IstioDuration>,
    pub base_ejection_time: Option<IstioDuration>,
    pub max_ejection_percent: Option<u32>,
    pub min_health_percent: Option<i32>,
    pub split_external_local_origin_errors: Option<bool>,
    pub consecutive_local_origin_failures: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClientTls {
    pub mode: TlsMode,
    /// SIMPLE: the name sent in the handshake (the host when not given).
    pub sni: Option<String>,
}

/// A DestinationRule's `tls.mode`: with pods (sidecars), `ISTIO_MUTUAL` is mutual TLS with the
/// caller's certificate (also the default, as auto mTLS) and `DISABLE` plain HTTP; `SIMPLE`
/// originates TLS to a ServiceEntry's host (egress).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum TlsMode {
    #[serde(rename = "DISABLE")]
    Disable,
    #[serde(rename = "ISTIO_MUTUAL")]
    IstioMutual,
    #[serde(rename = "SIMPLE")]
    Simple,
}

/// `trafficPolicy.portLevelSettings[]`: a policy for one port of the host.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PortTrafficPolicy {
    pub port: PortSelector,
    pub load_balancer: Option<LoadBalancer>,
    pub connection_pool: Option<ConnectionPool>,
    pub outlier_detection: Option<OutlierDetection>,
    pub tls: Option<ClientTls>,
}
