//! AuthorizationPolicies as Envoy RBAC filters, the way istiod builds them for a workload:
//! which policies apply to it (namespace, selector, targetRefs), then one filter per action in
//! Istio's order (AUDIT as Envoy's LOG, DENY, then ALLOW), each policy rule an Envoy policy
//! named `ns[NS]-policy[NAME]-rule[N]`. HTTP filters for sidecars and gateways; network
//! filters for the ambient node proxy, which reads a rule as ztunnel does (`rbac_l4`). The
//! matchers themselves are in `rbac_matchers`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::rbac_l4::connection_rule;
use super::rbac_matchers::{Field, FieldValues, permission, principal};
use crate::identity::Pod;
use crate::istio::authz::{
    Attribute, AuthorizationAction, AuthorizationPolicySpec, AuthorizationRule, Operation,
    ROOT_NAMESPACE, Source,
};
use crate::istio::{API_GROUP, GATEWAY_API_GROUP, ResourceKey, ResourceSet, Spec};
use crate::topology::{NAMESPACE, Service};

/// The name of Envoy's RBAC HTTP filter; every authorization filter has it.
pub const RBAC_FILTER: &str = "envoy.filters.http.rbac";

const RBAC_TYPE: &str = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC";

const NETWORK_RBAC_FILTER: &str = "envoy.filters.network.rbac";
const NETWORK_RBAC_TYPE: &str = "type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC";

pub use crate::identity::GATEWAY_NAME_LABEL;

/// A policy in force: its key and spec.
pub type PolicyRef<'a> = (&'a ResourceKey, &'a AuthorizationPolicySpec);

/// A workload as policy selection sees it (istiod's `WorkloadPolicyMatcher`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyTarget {
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    /// The Istio (`networking.istio.io`) Gateways this workload serves, as (namespace, name).
    pub istio_gateways: Vec<(String, String)>,
}

/// Where the filters go: the port the listener has on a cluster (8080 for the ingress, 9080
/// for a Bookinfo workload). Locally the listener's port differs, so port conditions are
/// decided here, as istiod decides them for a waypoint's listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerPort(pub u16);

/// Which RBAC filter the policies become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer<'a> {
    /// HTTP filters (sidecars, gateways): every attribute of a rule.
    Http,
    /// HTTP filters on the node proxy's tunnel (`CONNECT`): what a connection shows, as
    /// ztunnel reads a policy.
    Tunnel,
    /// Network filters of the ambient node proxy, their stats under `stat_prefix`: what a
    /// connection shows, as ztunnel reads a policy (see [`super::rbac_l4`]).
    Network { stat_prefix: &'a str },
}

// === impl PolicyTarget ===

impl PolicyTarget {
    /// A sidecar workload of `namespace` with its pod labels.
    pub fn workload(namespace: &str, labels: BTreeMap<String, String>) -> Self {
        Self {
            namespace: namespace.to_owned(),
            labels,
            istio_gateways: Vec::new(),
        }
    }

    /// What the local ingress stands for: the gateway pod (`istio-ingressgateway` in
    /// istio-system, `namespace` and `labels`), the instance of every Istio Gateway in force,
    /// and the Deployment of every Gateway API Gateway.
    pub fn ingress(
        resources: &ResourceSet,
        namespace: &str,
        labels: &BTreeMap<String, String>,
    ) -> Vec<Self> {
        let istio_gateways = resources
            .gateways()
            .into_iter()
            .map(|(key, _)| (key.namespace.clone(), key.name.clone()))
            .collect();
        let mut targets = vec![Self {
            namespace: namespace.to_owned(),
            labels: labels.clone(),
            istio_gateways,
        }];
        for resource in resources.in_creation_order() {
            let ingress = matches!(&resource.spec, Spec::KubernetesGateway(gateway) if !gateway.is_waypoint());
            if ingress {
                targets.push(Self::workload(
                    &resource.key.namespace,
                    BTreeMap::from([(GATEWAY_NAME_LABEL.to_owned(), resource.key.name.clone())]),
                ));
            }
        }
        targets
    }

    /// Whether `policy` applies to this workload, as istiod decides: a targetRef to one of its
    /// Istio Gateways, from the Gateway's namespace, attaches it; otherwise the policy must be in
    /// the root namespace or the workload's, and a
    /// Gateway API gateway takes targetRefs to its Gateway, or a selector; any other workload
    /// takes selector policies only (targetRefs to Services are for waypoints).
    pub fn selects(&self, key: &ResourceKey, policy: &AuthorizationPolicySpec) -> bool {
        let targets = policy.targets();
        let attaches_to_istio_gateway = targets.iter().any(|target| {
            target.group == API_GROUP
                && target.kind == "Gateway"
                && self
                    .istio_gateways
                    .iter()
                    .any(|(namespace, name)| *name == target.name && *namespace == key.namespace)
        });
        if attaches_to_istio_gateway {
            return true;
        }
        if key.namespace != ROOT_NAMESPACE && key.namespace != self.namespace {
            return false;
        }
        let selected = || {
            policy.selector.as_ref().is_none_or(|selector| {
                selector
                    .match_labels
                    .iter()
                    .all(|(label, value)| self.labels.get(label) == Some(value))
            })
        };
        let Some(gateway_name) = self.labels.get(GATEWAY_NAME_LABEL) else {
            return targets.is_empty() && selected();
        };
        if targets.is_empty() {
            return selected();
        }
        key.namespace == self.namespace
            && targets.iter().any(|target| {
                target.group == GATEWAY_API_GROUP
                    && target.kind == "Gateway"
                    && target.name == *gateway_name
            })
    }
}

/// The policies in force that apply to any of `targets`, oldest first, each once.
pub fn policies_for<'r>(
    resources: &'r ResourceSet,
    targets: &[PolicyTarget],
) -> Vec<PolicyRef<'r>> {
    resources
        .authorization_policies()
        .into_iter()
        .filter(|(key, spec)| targets.iter().any(|target| target.selects(key, spec)))
        .collect()
}

/// The RBAC filters of a workload's inbound listener (`port`: the Service port it serves on a
/// cluster): the policies of its namespace and the root namespace that select its labels.
pub fn workload_filters(
    resources: &ResourceSet,
    namespace: &str,
    labels: &BTreeMap<String, String>,
    port: u16,
    layer: Layer<'_>,
) -> Vec<Value> {
    let target = PolicyTarget::workload(namespace, labels.clone());
    filters(
        &policies_for(resources, &[target]),
        ListenerPort(port),
        layer,
    )
}

/// The RBAC filters of the ingress listener whose port on a cluster is `port` (8080, 8443), for
/// the gateway pod of `namespace` with `labels` (see [`PolicyTarget::ingress`]).
pub fn ingress_filters(
    resources: &ResourceSet,
    namespace: &str,
    labels: &BTreeMap<String, String>,
    port: u16,
) -> Vec<Value> {
    let targets = PolicyTarget::ingress(resources, namespace, labels);
    filters(
        &policies_for(resources, &targets),
        ListenerPort(port),
        Layer::Http,
    )
}

/// The RBAC filters of `waypoint`'s listener for `service`: the policies of the Service's
/// namespace whose `targetRefs` name the Service or the waypoint's Gateway, as istiod binds
/// policies to a waypoint (selector policies are the node proxy's, at L4).
pub fn waypoint_filters(resources: &ResourceSet, waypoint: &Pod, service: &Service) -> Vec<Value> {
    let policies: Vec<PolicyRef<'_>> = resources
        .authorization_policies()
        .into_iter()
        .filter(|(key, spec)| {
            spec.targets().iter().any(|target| {
                let to_service = target.group.is_empty()
                    && target.kind == "Service"
                    && target.name == service.name
                    && key.namespace == NAMESPACE;
                let to_waypoint = target.group == GATEWAY_API_GROUP
                    && target.kind == "Gateway"
                    && target.name == waypoint.name
                    && key.namespace == waypoint.namespace;
                to_service || to_waypoint
            })
        })
        .collect();
    filters(&policies, ListenerPort(service.port), Layer::Http)
}

/// Policies that bind only waypoints (targetRefs naming Services, or waypoint Gateways) while
/// no waypoint in force serves what they name: they apply to nothing, as on a cluster. Reported
/// so that nobody wonders why.
pub fn warnings(resources: &ResourceSet) -> Vec<String> {
    let waypoints = crate::waypoint::all(resources);
    let in_force = |namespace: &str, name: &str| {
        waypoints
            .iter()
            .any(|(of, waypoint)| of == namespace && waypoint == name)
    };
    resources
        .authorization_policies()
        .into_iter()
        .filter_map(|(key, spec)| {
            let targets = spec.targets();
            let names_waypoint = |name: &str| in_force(&key.namespace, name);
            let to_services = targets.iter().all(|target| target.kind == "Service");
            let to_waypoints = targets.iter().all(|target| {
                target.kind == "Service"
                    || (target.group == GATEWAY_API_GROUP
                        && target.kind == "Gateway"
                        && names_waypoint(&target.name))
            });
            // A policy binds traffic when it names a Service that a waypoint in force serves, or
            // a waypoint that serves a Service.
            let bound = targets.iter().any(|target| {
                if target.kind == "Service" {
                    crate::waypoint::for_service(resources, &key.namespace, &target.name).is_some()
                } else {
                    crate::waypoint::serves_any(resources, &key.namespace, &target.name)
                }
            });
            if targets.is_empty() || !to_waypoints || bound {
                None
            } else if to_services && waypoints.is_empty() {
                Some(format!(
                    "{key}: targetRefs to a Service bind a waypoint proxy, and the mesh has none; \
                     the policy applies to no workload (`bookinfo mesh waypoint apply \
                     --enroll-namespace` deploys one; a selector binds the sidecars)"
                ))
            } else {
                Some(format!(
                    "{key}: targetRefs bind waypoints, and no waypoint in force serves what they \
                     name (istio.io/use-waypoint on the namespace {} or the Service); the policy \
                     applies to no traffic",
                    key.namespace
                ))
            }
        })
        .collect()
}

/// The RBAC filters for a listener with these policies, in Istio's order: AUDIT (Envoy's LOG
/// action), DENY, ALLOW. No policy of an action, no filter for it: without ALLOW policies
/// everything not denied is allowed. The node proxy has no AUDIT (ztunnel has none).
pub fn filters(policies: &[PolicyRef<'_>], port: ListenerPort, layer: Layer<'_>) -> Vec<Value> {
    [
        (AuthorizationAction::Audit, "LOG", ""),
        (AuthorizationAction::Deny, "DENY", "istio_dry_run_deny_"),
        (AuthorizationAction::Allow, "ALLOW", "istio_dry_run_allow_"),
    ]
    .into_iter()
    .filter(|(action, ..)| *action != AuthorizationAction::Audit || layer == Layer::Http)
    .filter_map(|(action, envoy_action, shadow_prefix)| {
        let chosen: Vec<&PolicyRef<'_>> = policies
            .iter()
            .filter(|(_, spec)| spec.action == action)
            .collect();
        if chosen.is_empty() {
            return None;
        }
        let mut enforced = Map::new();
        let mut shadow = Map::new();
        for (key, spec) in &chosen {
            let into = if spec.dry_run {
                &mut shadow
            } else {
                &mut enforced
            };
            into.extend(envoy_policies(key, spec, port, layer));
        }
        let (name, mut config) = match layer {
            Layer::Http | Layer::Tunnel => (RBAC_FILTER, json!({"@type": RBAC_TYPE})),
            Layer::Network { stat_prefix } => (
                NETWORK_RBAC_FILTER,
                json!({"@type": NETWORK_RBAC_TYPE, "stat_prefix": stat_prefix}),
            ),
        };
        let has_enforced = chosen.iter().any(|(_, spec)| !spec.dry_run);
        if has_enforced {
            config["rules"] = json!({"action": envoy_action, "policies": enforced});
        }
        if chosen.iter().any(|(_, spec)| spec.dry_run) {
            config["shadow_rules"] = json!({"action": envoy_action, "policies": shadow});
            if !shadow_prefix.is_empty() {
                config["shadow_rules_stat_prefix"] = json!(shadow_prefix);
            }
        }
        Some(json!({"name": name, "typed_config": config}))
    })
    .collect()
}

/// One Envoy policy per rule; a policy without rules gets one that never matches (so an ALLOW
/// policy without rules denies everything: `allow-nothing`). On the node proxy, a rule is
/// what a connection can match of it (an ALLOW rule naming HTTP attributes is left out).
fn envoy_policies(
    key: &ResourceKey,
    spec: &AuthorizationPolicySpec,
    port: ListenerPort,
    layer: Layer<'_>,
) -> Map<String, Value> {
    let name = |index: usize| format!("ns[{}]-policy[{}]-rule[{index}]", key.namespace, key.name);
    if spec.rules.is_empty() {
        let never = json!({
            "permissions": [{"not_rule": {"any": true}}],
            "principals": [{"not_id": {"any": true}}],
        });
        return Map::from_iter([(name(0), never)]);
    }
    spec.rules
        .iter()
        .enumerate()
        .filter_map(|(index, rule)| {
            let rule = match layer {
                Layer::Http => std::borrow::Cow::Borrowed(rule),
                Layer::Tunnel | Layer::Network { .. } => {
                    std::borrow::Cow::Owned(connection_rule(spec.action, rule)?)
                }
            };
            Some((name(index), envoy_policy(&rule, &key.namespace, port)))
        })
        .collect()
}

/// A rule: its `to` operations ORed as permissions, its `from` sources ORed as principals, and
/// each `when` condition ANDed into every permission or every principal, as istiod sorts them.
fn envoy_policy(rule: &AuthorizationRule, namespace: &str, port: ListenerPort) -> Value {
    let mut principal_conditions = Vec::new();
    let mut permission_conditions = Vec::new();
    for condition in &rule.when {
        // Checked when applied: an unknown key never gets this far.
        let Ok(attribute) = Attribute::parse(&condition.key) else {
            continue;
        };
        let field = Field::Condition(attribute.clone());
        let entry = (
            field,
            condition.values.as_slice(),
            condition.not_values.as_slice(),
        );
        if attribute.is_principal() {
            principal_conditions.push(entry);
        } else {
            permission_conditions.push(entry);
        }
    }
    let permissions = alternatives(
        rule.to.as_deref(),
        |to| to.operation.as_ref().map(operation_fields),
        &permission_conditions,
        |fields| permission(fields, port),
    );
    let principals = alternatives(
        rule.from.as_deref(),
        |from| from.source.as_ref().map(source_fields),
        &principal_conditions,
        |fields| principal(fields, namespace),
    );
    json!({"permissions": permissions, "principals": principals})
}

/// One permission (or principal) per `to` (or `from`) entry, each with the conditions ANDed
/// in; without entries, one made of the conditions alone.
fn alternatives<'a, T>(
    entries: Option<&'a [T]>,
    fields_of: impl Fn(&'a T) -> Option<Vec<FieldValues<'a>>>,
    conditions: &[FieldValues<'a>],
    build: impl Fn(&[FieldValues<'a>]) -> Value,
) -> Vec<Value> {
    let Some(entries) = entries else {
        return vec![build(conditions)];
    };
    entries
        .iter()
        .map(|entry| {
            let mut fields = fields_of(entry).unwrap_or_default();
            fields.extend(conditions.iter().cloned());
            build(&fields)
        })
        .collect()
}

/// An operation's fields in istiod's order.
fn operation_fields(operation: &Operation) -> Vec<FieldValues<'_>> {
    vec![
        (Field::Host, &operation.hosts[..], &operation.not_hosts[..]),
        (
            Field::Method,
            &operation.methods[..],
            &operation.not_methods[..],
        ),
        (Field::Path, &operation.paths[..], &operation.not_paths[..]),
        (Field::Port, &operation.ports[..], &operation.not_ports[..]),
    ]
}

/// A source's fields in istiod's order.
fn source_fields(source: &Source) -> Vec<FieldValues<'_>> {
    vec![
        (
            Field::Principal,
            &source.principals[..],
            &source.not_principals[..],
        ),
        (
            Field::ServiceAccount,
            &source.service_accounts[..],
            &source.not_service_accounts[..],
        ),
        (
            Field::Namespace,
            &source.namespaces[..],
            &source.not_namespaces[..],
        ),
        (
            Field::RemoteIp,
            &source.remote_ip_blocks[..],
            &source.not_remote_ip_blocks[..],
        ),
        (
            Field::SourceIp,
            &source.ip_blocks[..],
            &source.not_ip_blocks[..],
        ),
    ]
}
