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
mod resource_set;
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
pub use resource_set::ResourceSet;
pub use secret::{Credential, SecretSpec};
pub use service_entry::ServiceEntrySpec;
pub use spec::*;

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

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const REVIEWS_V1: &str = "
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
}
