//! Resources as `kubectl apply -f` takes them: multi-document YAML of Istio's Gateways,
//! VirtualServices, DestinationRules and ServiceEntries, of the Kubernetes kinds the Gateway API
//! walkthroughs apply (Service, Gateway, HTTPRoute), of the Secrets Gateways name, and of Istio's
//! AuthorizationPolicies, parsed strictly,
//! checked the way the API server and Istio's webhook check them, and kept in a
//! [`ResourceSet`] keyed by kind, namespace and name.

pub mod authz;
mod authz_checks;
pub mod gateway_api;
mod gateway_api_checks;
mod parse;
pub mod peer_authentication;
pub mod secret;
pub mod service_entry;
mod spec;
mod validate;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

pub use authz::{AuthorizationAction, AuthorizationPolicySpec, ROOT_NAMESPACE};
pub use gateway_api::{GATEWAY_API_GROUP, HttpRouteSpec, KubernetesGatewaySpec, ServiceSpec};
pub use parse::{parse, parse_keys};
pub use peer_authentication::{MtlsMode, PeerAuthenticationSpec};
pub use secret::{Credential, SecretSpec};
pub use service_entry::ServiceEntrySpec;
pub use spec::*;

use parse::parse_resource;

use crate::clock;
use crate::error::ParseError;
use crate::topology::NAMESPACE;

/// The API group of Istio's networking kinds.
pub const API_GROUP: &str = "networking.istio.io";

/// The API group of Istio's security kinds (PeerAuthentication).
pub const SECURITY_API_GROUP: &str = "security.istio.io";

/// The versions of the security group served.
pub const SECURITY_API_VERSIONS: [&str; 2] = ["v1", "v1beta1"];

/// The versions of that group Istio serves (all the same schema for these kinds).
pub const API_VERSIONS: [&str; 3] = ["v1", "v1beta1", "v1alpha3"];

/// The versions of the Gateway API group served for Gateway and HTTPRoute.
pub const GATEWAY_API_VERSIONS: [&str; 2] = ["v1", "v1beta1"];

/// The kinds this mesh translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Istio's `networking.istio.io` Gateway.
    Gateway,
    VirtualService,
    DestinationRule,
    /// A core `v1` Service: a name for the workloads its selector picks.
    Service,
    /// The Gateway API's `gateway.networking.k8s.io` Gateway.
    KubernetesGateway,
    HttpRoute,
    /// A core `v1` Secret: certificates and keys a Gateway serves.
    Secret,
    /// Istio's `security.istio.io` AuthorizationPolicy.
    AuthorizationPolicy,
    /// Istio's ServiceEntry: a host outside the mesh's Services.
    ServiceEntry,
    /// `security.istio.io` PeerAuthentication: which connections pods accept.
    PeerAuthentication,
}

/// Which resource: kind, namespace and name, as Kubernetes identifies it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceKey {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

/// A parsed, validated resource.
#[derive(Debug, Clone)]
pub struct Resource {
    pub key: ResourceKey,
    pub spec: Spec,
    /// `metadata.annotations`, as written.
    pub annotations: BTreeMap<String, String>,
    /// `metadata.creationTimestamp` when reading saved state back; ignored on apply, as the
    /// API server ignores it.
    created_at: Option<u64>,
    /// The `spec` as written, to tell "configured" from "unchanged" (with the annotations) and
    /// to persist the set.
    pub document: Value,
}

#[derive(Debug, Clone)]
pub enum Spec {
    Gateway(GatewaySpec),
    VirtualService(VirtualServiceSpec),
    DestinationRule(DestinationRuleSpec),
    Service(ServiceSpec),
    KubernetesGateway(KubernetesGatewaySpec),
    HttpRoute(HttpRouteSpec),
    Secret(SecretSpec),
    AuthorizationPolicy(AuthorizationPolicySpec),
    ServiceEntry(ServiceEntrySpec),
    PeerAuthentication(PeerAuthenticationSpec),
}

/// What applying or deleting did to one resource, in `kubectl`'s words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub key: ResourceKey,
    pub action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Created,
    Configured,
    Unchanged,
    Deleted,
    /// `delete` of a resource that is not there; reported, not an error.
    NotFound,
}

/// The resources in force. Iteration is in creation order, which Istio uses to order
/// VirtualServices merged on a gateway and to pick between conflicting ones.
#[derive(Debug, Clone, Default)]
pub struct ResourceSet {
    entries: BTreeMap<ResourceKey, Entry>,
    next_created: u64,
}

#[derive(Debug, Clone)]
struct Entry {
    /// Creation order (a tie-free stand-in for `creationTimestamp`): kept when a resource is
    /// re-applied.
    created: u64,
    /// `metadata.creationTimestamp`, in seconds since the Unix epoch.
    created_at: u64,
    resource: Resource,
}

// === impl Kind ===

impl Kind {
    /// The kind `kind` of API group `group` (`""` for the core group).
    fn from_group_and_name(group: &str, kind: &str) -> Option<Self> {
        match (group, kind) {
            (API_GROUP, "Gateway") => Some(Self::Gateway),
            (API_GROUP, "VirtualService") => Some(Self::VirtualService),
            (API_GROUP, "DestinationRule") => Some(Self::DestinationRule),
            (API_GROUP, "ServiceEntry") => Some(Self::ServiceEntry),
            ("", "Service") => Some(Self::Service),
            ("", "Secret") => Some(Self::Secret),
            (GATEWAY_API_GROUP, "Gateway") => Some(Self::KubernetesGateway),
            (GATEWAY_API_GROUP, "HTTPRoute") => Some(Self::HttpRoute),
            (SECURITY_API_GROUP, "AuthorizationPolicy") => Some(Self::AuthorizationPolicy),
            (SECURITY_API_GROUP, "PeerAuthentication") => Some(Self::PeerAuthentication),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Gateway | Self::KubernetesGateway => "Gateway",
            Self::VirtualService => "VirtualService",
            Self::DestinationRule => "DestinationRule",
            Self::Service => "Service",
            Self::HttpRoute => "HTTPRoute",
            Self::Secret => "Secret",
            Self::AuthorizationPolicy => "AuthorizationPolicy",
            Self::ServiceEntry => "ServiceEntry",
            Self::PeerAuthentication => "PeerAuthentication",
        }
    }

    /// The API group (`""` for core).
    pub fn group(self) -> &'static str {
        match self {
            Self::Gateway | Self::VirtualService | Self::DestinationRule | Self::ServiceEntry => {
                API_GROUP
            }
            Self::Service | Self::Secret => "",
            Self::KubernetesGateway | Self::HttpRoute => GATEWAY_API_GROUP,
            Self::AuthorizationPolicy | Self::PeerAuthentication => SECURITY_API_GROUP,
        }
    }

    /// The versions of the group served for this kind.
    fn versions(self) -> &'static [&'static str] {
        match self.group() {
            API_GROUP => &API_VERSIONS,
            GATEWAY_API_GROUP => &GATEWAY_API_VERSIONS,
            SECURITY_API_GROUP => &SECURITY_API_VERSIONS,
            _ => &["v1"],
        }
    }

    /// `apiVersion` as written back: `networking.istio.io/v1`, `v1` for core.
    pub fn api_version(self) -> String {
        match self.group() {
            "" => "v1".to_owned(),
            group => format!("{group}/v1"),
        }
    }

    /// The resource name `kubectl` prints: `virtualservice.networking.istio.io`, `service`,
    /// `httproute.gateway.networking.k8s.io`.
    pub fn resource_name(self) -> String {
        let kind = self.name().to_ascii_lowercase();
        match self.group() {
            "" => kind,
            group => format!("{kind}.{group}"),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

// === impl ResourceKey ===

impl fmt::Display for ResourceKey {
    /// `VirtualService reviews`, or `Gateway istio-system/cert-manager-gateway` outside `default`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace == NAMESPACE {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

// === impl Change ===

impl fmt::Display for Change {
    /// `virtualservice.networking.istio.io/reviews created`, as `kubectl apply` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = match self.action {
            Action::Created => "created",
            Action::Configured => "configured",
            Action::Unchanged => "unchanged",
            Action::Deleted => "deleted",
            Action::NotFound => "not found",
        };
        write!(
            f,
            "{}/{} {action}",
            self.key.kind.resource_name(),
            self.key.name
        )
    }
}

// === impl ResourceSet ===

impl ResourceSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates or replaces each resource, as `kubectl apply` does; a replaced resource keeps its
    /// place in creation order.
    pub fn apply(&mut self, resources: Vec<Resource>) -> Vec<Change> {
        resources
            .into_iter()
            .map(|resource| {
                let key = resource.key.clone();
                let action = match self.entries.get_mut(&key) {
                    Some(entry)
                        if entry.resource.document == resource.document
                            && entry.resource.annotations == resource.annotations =>
                    {
                        Action::Unchanged
                    }
                    Some(entry) => {
                        entry.resource = resource;
                        Action::Configured
                    }
                    None => {
                        let created = self.next_created;
                        self.next_created += 1;
                        let created_at = resource.created_at.unwrap_or_else(clock::now);
                        self.entries.insert(
                            key.clone(),
                            Entry {
                                created,
                                created_at,
                                resource,
                            },
                        );
                        Action::Created
                    }
                };
                Change { key, action }
            })
            .collect()
    }

    /// Removes each resource; one that is not there is reported as [`Action::NotFound`].
    pub fn delete(&mut self, keys: Vec<ResourceKey>) -> Vec<Change> {
        keys.into_iter()
            .map(|key| {
                let action = if self.entries.remove(&key).is_some() {
                    Action::Deleted
                } else {
                    Action::NotFound
                };
                Change { key, action }
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn get(&self, key: &ResourceKey) -> Option<&Resource> {
        self.entries.get(key).map(|entry| &entry.resource)
    }

    /// When `key` was created, in seconds since the Unix epoch.
    pub fn created_at(&self, key: &ResourceKey) -> Option<u64> {
        self.entries.get(key).map(|entry| entry.created_at)
    }

    /// Every resource, oldest first (ties by kind, namespace, name).
    pub fn in_creation_order(&self) -> Vec<&Resource> {
        let mut entries: Vec<&Entry> = self.entries.values().collect();
        entries.sort_by_key(|entry| entry.created);
        entries.into_iter().map(|entry| &entry.resource).collect()
    }

    /// Gateways, oldest first.
    pub fn gateways(&self) -> Vec<(&ResourceKey, &GatewaySpec)> {
        self.in_creation_order()
            .into_iter()
            .filter_map(|resource| match &resource.spec {
                Spec::Gateway(spec) => Some((&resource.key, spec)),
                _ => None,
            })
            .collect()
    }

    /// The Secret `namespace/name`.
    pub fn secret(&self, namespace: &str, name: &str) -> Option<&SecretSpec> {
        let key = ResourceKey {
            kind: Kind::Secret,
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        };
        match &self.get(&key)?.spec {
            Spec::Secret(secret) => Some(secret),
            _ => None,
        }
    }

    /// AuthorizationPolicies, oldest first.
    pub fn authorization_policies(&self) -> Vec<(&ResourceKey, &AuthorizationPolicySpec)> {
        self.in_creation_order()
            .into_iter()
            .filter_map(|resource| match &resource.spec {
                Spec::AuthorizationPolicy(spec) => Some((&resource.key, spec)),
                _ => None,
            })
            .collect()
    }

    /// VirtualServices, oldest first.
    pub fn virtual_services(&self) -> Vec<(&ResourceKey, &VirtualServiceSpec)> {
        self.in_creation_order()
            .into_iter()
            .filter_map(|resource| match &resource.spec {
                Spec::VirtualService(spec) => Some((&resource.key, spec)),
                _ => None,
            })
            .collect()
    }

    /// ServiceEntries, oldest first.
    pub fn service_entries(&self) -> Vec<(&ResourceKey, &ServiceEntrySpec)> {
        self.in_creation_order()
            .into_iter()
            .filter_map(|resource| match &resource.spec {
                Spec::ServiceEntry(spec) => Some((&resource.key, spec)),
                _ => None,
            })
            .collect()
    }

    /// DestinationRules, oldest first.
    pub fn destination_rules(&self) -> Vec<(&ResourceKey, &DestinationRuleSpec)> {
        self.in_creation_order()
            .into_iter()
            .filter_map(|resource| match &resource.spec {
                Spec::DestinationRule(spec) => Some((&resource.key, spec)),
                _ => None,
            })
            .collect()
    }

    /// The set as JSON, oldest first, for another process to pick up with [`Self::from_json`].
    pub fn to_json(&self) -> Value {
        let items: Vec<Value> = self
            .in_creation_order()
            .into_iter()
            .map(|resource| {
                let mut item = serde_json::json!({
                    "apiVersion": resource.key.kind.api_version(),
                    "kind": resource.key.kind.name(),
                    "metadata": {
                        "name": resource.key.name,
                        "namespace": resource.key.namespace,
                        "annotations": resource.annotations,
                        "creationTimestamp": self.created_at(&resource.key).map(clock::rfc3339),
                    },
                });
                match (&resource.key.kind, &resource.document, item.as_object_mut()) {
                    // A Secret has no spec: its type and data sit beside metadata.
                    (Kind::Secret, Value::Object(fields), Some(item)) => {
                        item.extend(fields.clone());
                    }
                    (_, document, Some(item)) => {
                        item.insert("spec".into(), document.clone());
                    }
                    _ => {}
                }
                item
            })
            .collect();
        serde_json::json!({ "items": items })
    }

    /// Reads what [`Self::to_json`] wrote; resources are re-validated on the way in.
    pub fn from_json(value: &Value) -> Result<Self, ParseError> {
        let items = value
            .get("items")
            .and_then(Value::as_array)
            .ok_or_else(|| ParseError::Document {
                document: 1,
                message: "saved state has no items".into(),
            })?;
        let mut set = Self::new();
        for (index, item) in items.iter().enumerate() {
            let mut resource = parse_resource(index + 1, item.clone())?;
            resource.created_at = item
                .pointer("/metadata/creationTimestamp")
                .and_then(Value::as_str)
                .and_then(clock::parse_rfc3339);
            set.apply(vec![resource]);
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REVIEWS_V1: &str = "
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
";

    #[test]
    fn parse_reads_every_document_and_skips_empty_ones() {
        let text = format!("---\n{REVIEWS_V1}---\n# only a comment\n---\n{REVIEWS_V1}");
        let resources = parse(&text).unwrap();
        assert_eq!(resources.len(), 2);
        assert_eq!(resources[0].key.to_string(), "VirtualService reviews");
        assert_eq!(resources[0].key.namespace, "default");
    }

    #[test]
    fn parse_refuses_an_unsupported_field_naming_its_path() {
        let text = REVIEWS_V1.replace("  - route:", "  - corsPolicy: {}\n    route:");
        let error = parse(&text).unwrap_err().to_string();
        assert!(
            error.starts_with("VirtualService reviews: http[0].corsPolicy is not supported"),
            "{error}"
        );
    }

    #[test]
    fn parse_refuses_other_kinds_and_groups() {
        let sidecar = "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: x}\n";
        let error = parse(sidecar).unwrap_err().to_string();
        assert!(error.contains("Sidecar"), "{error}");
        let grpc_route =
            "apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: x}\n";
        assert!(
            parse(grpc_route)
                .unwrap_err()
                .to_string()
                .contains("GRPCRoute")
        );
    }

    #[test]
    fn apply_reports_created_configured_and_unchanged_like_kubectl() {
        let mut set = ResourceSet::new();
        let first = set.apply(parse(REVIEWS_V1).unwrap());
        assert_eq!(
            first[0].to_string(),
            "virtualservice.networking.istio.io/reviews created"
        );
        let again = set.apply(parse(REVIEWS_V1).unwrap());
        assert_eq!(again[0].action, Action::Unchanged);
        let changed = set.apply(parse(&REVIEWS_V1.replace("v1}", "v2}")).unwrap());
        assert_eq!(changed[0].action, Action::Configured);
        let gone = set.delete(parse_keys(REVIEWS_V1).unwrap());
        assert_eq!(gone[0].action, Action::Deleted);
        assert!(set.is_empty());
    }

    #[test]
    fn creation_order_survives_reapplying_and_a_json_round_trip() {
        let mut set = ResourceSet::new();
        set.apply(parse(REVIEWS_V1).unwrap());
        set.apply(parse(&REVIEWS_V1.replace("name: reviews", "name: another")).unwrap());
        set.apply(parse(&REVIEWS_V1.replace("v1}", "v3}")).unwrap());
        let restored = ResourceSet::from_json(&set.to_json()).unwrap();
        let names: Vec<_> = restored
            .in_creation_order()
            .iter()
            .map(|resource| resource.key.name.clone())
            .collect();
        assert_eq!(names, ["reviews", "another"]);
    }
}
