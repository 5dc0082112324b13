//! The `spec` of the Kubernetes kinds the Gateway API walkthroughs apply: core `Service`
//! (a name and a label selector: how a route names one version) and, from
//! `gateway.networking.k8s.io`, `Gateway` and `HTTPRoute`. As for Istio's kinds, a field that is
//! not simulated is absent, so serde refuses it by its path.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::duration::IstioDuration;

/// The Gateway API's group.
pub const GATEWAY_API_GROUP: &str = "gateway.networking.k8s.io";

/// The one GatewayClass here: Istio's (`gatewayClassName: istio`).
pub const ISTIO_GATEWAY_CLASS: &str = "istio";

/// The class of a waypoint, as `istioctl waypoint apply` generates it.
pub const WAYPOINT_GATEWAY_CLASS: &str = "istio-waypoint";

/// A waypoint's one listener: `mesh`, HBONE on 15008.
pub const WAYPOINT_LISTENER: (&str, u32, &str) = ("mesh", 15008, "HBONE");

/// The annotation Istio reads for the type of the Service it deploys for a Gateway.
pub const SERVICE_TYPE_ANNOTATION: &str = "networking.istio.io/service-type";

// === core Service ===

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceSpec {
    #[serde(default)]
    pub ports: Vec<ServicePort>,
    #[serde(default)]
    pub selector: BTreeMap<String, String>,
    /// `ClusterIP`, `NodePort`, `LoadBalancer`: every Service is on loopback here.
    #[serde(rename = "type")]
    pub service_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServicePort {
    pub name: Option<String>,
    pub port: u16,
    pub target_port: Option<serde_json::Value>,
    pub protocol: Option<String>,
    pub app_protocol: Option<String>,
}

// === Gateway ===

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubernetesGatewaySpec {
    pub gateway_class_name: String,
    #[serde(default)]
    pub listeners: Vec<Listener>,
}

impl KubernetesGatewaySpec {
    /// Whether this Gateway is a waypoint (class `istio-waypoint`), not an ingress.
    pub fn is_waypoint(&self) -> bool {
        self.gateway_class_name == WAYPOINT_GATEWAY_CLASS
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Listener {
    pub name: String,
    pub port: u32,
    pub protocol: String,
    pub hostname: Option<String>,
    pub allowed_routes: Option<AllowedRoutes>,
    pub tls: Option<ListenerTls>,
}

/// `listeners[].tls`: an HTTPS listener terminates TLS with the Secret its first
/// `certificateRefs` entry names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListenerTls {
    pub mode: Option<ListenerTlsMode>,
    #[serde(default)]
    pub certificate_refs: Vec<SecretObjectReference>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ListenerTlsMode {
    Terminate,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretObjectReference {
    pub group: Option<String>,
    pub kind: Option<String>,
    pub name: String,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AllowedRoutes {
    pub namespaces: Option<RouteNamespaces>,
    #[serde(default)]
    pub kinds: Vec<RouteGroupKind>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RouteNamespaces {
    #[serde(default)]
    pub from: FromNamespaces,
}

/// Which namespaces' routes may attach (`Selector` is not simulated).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum FromNamespaces {
    All,
    #[default]
    Same,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RouteGroupKind {
    pub group: Option<String>,
    pub kind: String,
}

// === HTTPRoute ===

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpRouteSpec {
    #[serde(default)]
    pub parent_refs: Vec<ParentRef>,
    #[serde(default)]
    pub hostnames: Vec<String>,
    #[serde(default)]
    pub rules: Vec<HttpRouteRule>,
}

/// A Gateway (north-south) or a Service (east-west, GAMMA) the route attaches to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ParentRef {
    pub group: Option<String>,
    pub kind: Option<String>,
    pub name: String,
    pub namespace: Option<String>,
    pub section_name: Option<String>,
    pub port: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpRouteRule {
    pub name: Option<String>,
    #[serde(default)]
    pub matches: Vec<HttpRouteMatch>,
    #[serde(default)]
    pub filters: Vec<HttpRouteFilter>,
    #[serde(default)]
    pub backend_refs: Vec<BackendRef>,
    pub timeouts: Option<HttpRouteTimeouts>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpRouteMatch {
    pub path: Option<PathMatch>,
    #[serde(default)]
    pub headers: Vec<ValueMatch>,
    #[serde(default)]
    pub query_params: Vec<ValueMatch>,
    pub method: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PathMatch {
    #[serde(default, rename = "type")]
    pub match_type: PathMatchType,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub enum PathMatchType {
    Exact,
    #[default]
    PathPrefix,
    RegularExpression,
}

/// A header or query parameter match.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ValueMatch {
    #[serde(default, rename = "type")]
    pub match_type: ValueMatchType,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum ValueMatchType {
    #[default]
    Exact,
    RegularExpression,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BackendRef {
    pub group: Option<String>,
    pub kind: Option<String>,
    pub name: String,
    pub namespace: Option<String>,
    pub port: Option<u16>,
    pub weight: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpRouteFilter {
    #[serde(rename = "type")]
    pub filter_type: FilterType,
    pub request_header_modifier: Option<HeaderModifier>,
    pub response_header_modifier: Option<HeaderModifier>,
    pub request_redirect: Option<RequestRedirect>,
    pub url_rewrite: Option<UrlRewrite>,
    pub request_mirror: Option<RequestMirror>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum FilterType {
    RequestHeaderModifier,
    ResponseHeaderModifier,
    RequestRedirect,
    #[serde(rename = "URLRewrite")]
    UrlRewrite,
    RequestMirror,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HeaderModifier {
    #[serde(default)]
    pub set: Vec<HttpHeader>,
    #[serde(default)]
    pub add: Vec<HttpHeader>,
    #[serde(default)]
    pub remove: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestRedirect {
    pub scheme: Option<String>,
    pub hostname: Option<String>,
    pub path: Option<PathModifier>,
    pub port: Option<u16>,
    pub status_code: Option<u16>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UrlRewrite {
    pub hostname: Option<String>,
    pub path: Option<PathModifier>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PathModifier {
    #[serde(rename = "type")]
    pub modifier_type: PathModifierType,
    pub replace_full_path: Option<String>,
    pub replace_prefix_match: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum PathModifierType {
    ReplaceFullPath,
    ReplacePrefixMatch,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestMirror {
    pub backend_ref: BackendRef,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpRouteTimeouts {
    pub request: Option<IstioDuration>,
    pub backend_request: Option<IstioDuration>,
}

// === impl ParentRef ===

impl ParentRef {
    /// Whether it names a Service (GAMMA) rather than a Gateway. The docs write the core group
    /// as `""`; istiod shows it back as `gateway.networking.k8s.io`, so both are taken.
    pub fn is_service(&self) -> bool {
        self.kind.as_deref() == Some("Service")
    }
}

// === impl BackendRef ===

impl BackendRef {
    /// The route's own namespace unless the reference names another.
    pub fn namespace_or<'a>(&'a self, route_namespace: &'a str) -> &'a str {
        self.namespace.as_deref().unwrap_or(route_namespace)
    }
}

// === impl PathModifier ===

impl PathModifier {
    /// The path given for the modifier's type, if any.
    pub fn value(&self) -> Option<&str> {
        match self.modifier_type {
            PathModifierType::ReplaceFullPath => self.replace_full_path.as_deref(),
            PathModifierType::ReplacePrefixMatch => self.replace_prefix_match.as_deref(),
        }
    }
}
