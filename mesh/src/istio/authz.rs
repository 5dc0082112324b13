//! `AuthorizationPolicy` (security.istio.io `v1` and `v1beta1`): the spec field by field as
//! Istio's CRD defines it. A field Istio has and this mesh does not simulate is absent, so it is
//! refused by its path; the checks istiod's webhook makes are in `authz_checks`.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Deserialize;

/// Istio's root namespace: a policy there applies to the workloads of every namespace.
pub use super::peer_authentication::ROOT_NAMESPACE;

/// The annotation that turns a policy into a dry run (evaluated and logged, never enforced).
pub const DRY_RUN_ANNOTATION: &str = "istio.io/dry-run";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuthorizationPolicySpec {
    /// Which workloads of the policy's namespace (every namespace from the root one).
    pub selector: Option<WorkloadSelector>,
    /// The older single form of `targetRefs`.
    pub target_ref: Option<PolicyTargetReference>,
    #[serde(default)]
    pub target_refs: Vec<PolicyTargetReference>,
    #[serde(default)]
    pub action: AuthorizationAction,
    /// Read so that a CUSTOM policy is refused by its action, not by this field.
    pub provider: Option<serde_json::Value>,
    /// None: the policy matches nothing (an ALLOW policy without rules denies everything).
    #[serde(default)]
    pub rules: Vec<AuthorizationRule>,
    /// `istio.io/dry-run: "true"` in the metadata: taken from the annotations, not the spec.
    #[serde(skip)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkloadSelector {
    #[serde(default)]
    pub match_labels: BTreeMap<String, String>,
}

/// A policy's target: a Gateway (the Gateway API's, or Istio's by group), or a Service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyTargetReference {
    #[serde(default)]
    pub group: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthorizationAction {
    #[default]
    Allow,
    Deny,
    Audit,
    /// Delegation to an external authorizer: refused by `authz_checks`.
    Custom,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuthorizationRule {
    /// ORed; `None` matches any source, an empty list is refused.
    pub from: Option<Vec<RuleFrom>>,
    /// ORed; `None` matches any operation, an empty list is refused.
    pub to: Option<Vec<RuleTo>>,
    /// ANDed with each other and with `from` and `to`.
    #[serde(default)]
    pub when: Vec<Condition>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RuleFrom {
    pub source: Option<Source>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RuleTo {
    pub operation: Option<Operation>,
}

/// Who calls. The fields are ANDed; the values of one field are ORed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Source {
    #[serde(default)]
    pub principals: Vec<String>,
    #[serde(default)]
    pub not_principals: Vec<String>,
    /// JWT identities: refused by `authz_checks` (no RequestAuthentication here).
    #[serde(default)]
    pub request_principals: Vec<String>,
    #[serde(default)]
    pub not_request_principals: Vec<String>,
    #[serde(default)]
    pub namespaces: Vec<String>,
    #[serde(default)]
    pub not_namespaces: Vec<String>,
    #[serde(default)]
    pub service_accounts: Vec<String>,
    #[serde(default)]
    pub not_service_accounts: Vec<String>,
    #[serde(default)]
    pub ip_blocks: Vec<String>,
    #[serde(default)]
    pub not_ip_blocks: Vec<String>,
    #[serde(default)]
    pub remote_ip_blocks: Vec<String>,
    #[serde(default)]
    pub not_remote_ip_blocks: Vec<String>,
}

/// What is asked for. The fields are ANDed; the values of one field are ORed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Operation {
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub not_hosts: Vec<String>,
    #[serde(default)]
    pub ports: Vec<String>,
    #[serde(default)]
    pub not_ports: Vec<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub not_methods: Vec<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub not_paths: Vec<String>,
}

/// `when`: an Istio attribute (`request.headers[x-token]`, `source.ip`...) and its values.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Condition {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub not_values: Vec<String>,
}

// === impl AuthorizationPolicySpec ===

impl AuthorizationPolicySpec {
    /// `targetRefs`, or the single `targetRef` when there are none.
    pub fn targets(&self) -> Vec<&PolicyTargetReference> {
        if self.target_refs.is_empty() {
            self.target_ref.iter().collect()
        } else {
            self.target_refs.iter().collect()
        }
    }
}

// === impl AuthorizationAction ===

impl AuthorizationAction {
    /// As written in YAML and printed in kubectl's ACTION column.
    pub fn name(self) -> &'static str {
        match self {
            Self::Allow => "ALLOW",
            Self::Deny => "DENY",
            Self::Audit => "AUDIT",
            Self::Custom => "CUSTOM",
        }
    }
}

// === impl Source ===

impl Source {
    /// Every field as (its name, its values), in the order of the CRD.
    pub fn fields(&self) -> [(&'static str, &[String]); 12] {
        [
            ("principals", &self.principals),
            ("notPrincipals", &self.not_principals),
            ("requestPrincipals", &self.request_principals),
            ("notRequestPrincipals", &self.not_request_principals),
            ("namespaces", &self.namespaces),
            ("notNamespaces", &self.not_namespaces),
            ("serviceAccounts", &self.service_accounts),
            ("notServiceAccounts", &self.not_service_accounts),
            ("ipBlocks", &self.ip_blocks),
            ("notIpBlocks", &self.not_ip_blocks),
            ("remoteIpBlocks", &self.remote_ip_blocks),
            ("notRemoteIpBlocks", &self.not_remote_ip_blocks),
        ]
    }
}

// === impl Operation ===

impl Operation {
    /// Every field as (its name, its values), in the order of the CRD.
    pub fn fields(&self) -> [(&'static str, &[String]); 8] {
        [
            ("hosts", &self.hosts),
            ("notHosts", &self.not_hosts),
            ("ports", &self.ports),
            ("notPorts", &self.not_ports),
            ("methods", &self.methods),
            ("notMethods", &self.not_methods),
            ("paths", &self.paths),
            ("notPaths", &self.not_paths),
        ]
    }
}

/// A `when` key, read: the Istio attributes this mesh can check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute {
    /// `request.headers[NAME]`.
    RequestHeader(String),
    /// `source.ip`: the peer address of the connection.
    SourceIp,
    /// `remote.ip`: the client address from `X-Forwarded-For` as the gateway trusts it.
    RemoteIp,
    SourceNamespace,
    SourcePrincipal,
    DestinationIp,
    DestinationPort,
    ConnectionSni,
}

// === impl Attribute ===

impl Attribute {
    /// Reads a `when` key; the error says why it cannot be checked here.
    pub fn parse(key: &str) -> Result<Self, String> {
        if let Some(rest) = key.strip_prefix("request.headers") {
            let name = rest
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .filter(|name| !name.is_empty() && !name.contains(['[', ']']))
                .ok_or_else(|| format!("{key}: the header name must be in brackets"))?;
            return Ok(Self::RequestHeader(name.to_ascii_lowercase()));
        }
        Ok(match key {
            "source.ip" => Self::SourceIp,
            "remote.ip" => Self::RemoteIp,
            "source.namespace" => Self::SourceNamespace,
            "source.principal" => Self::SourcePrincipal,
            "destination.ip" => Self::DestinationIp,
            "destination.port" => Self::DestinationPort,
            "connection.sni" => Self::ConnectionSni,
            _ if key.starts_with("request.auth.") => {
                return Err(format!(
                    "{key} is not supported: it needs a RequestAuthentication (JWT), which the local mesh does not simulate"
                ));
            }
            _ if key.starts_with("experimental.envoy.filters.") => {
                return Err(format!("{key} is not supported here"));
            }
            _ => return Err(format!("unknown attribute: {key}")),
        })
    }

    /// Whether Envoy matches it on the caller (a principal) rather than on the request's
    /// target (a permission), as istiod sorts `when` conditions.
    pub fn is_principal(&self) -> bool {
        matches!(
            self,
            Self::RequestHeader(_)
                | Self::SourceIp
                | Self::RemoteIp
                | Self::SourceNamespace
                | Self::SourcePrincipal
        )
    }
}

/// An address or CIDR range as Istio takes it (`10.0.0.1`, `10.0.0.0/16`, `::1/128`): the
/// address and the prefix length (a lone address is the whole-address range).
pub fn cidr(value: &str) -> Option<(IpAddr, u8)> {
    let (address, prefix) = match value.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (value, None),
    };
    let address: IpAddr = address.parse().ok()?;
    let full = if address.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => full,
        Some(prefix) => prefix.parse::<u8>().ok().filter(|length| *length <= full)?,
    };
    Some((address, prefix))
}

/// A port as Istio's `ports` and `destination.port` take it: a number in 0..65535.
pub fn port(value: &str) -> Option<u16> {
    value.parse().ok()
}
