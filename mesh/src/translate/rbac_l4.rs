//! How the ambient node proxy reads an AuthorizationPolicy, as ztunnel does: only what a
//! connection shows (peer identity, source and destination address, port) can be checked.
//! A rule of an ALLOW policy that names an HTTP attribute matches nothing; a DENY rule is
//! enforced without its HTTP parts (more restrictive than written); AUDIT is not supported.

use crate::istio::ResourceKey;
use crate::istio::authz::{AuthorizationAction, AuthorizationPolicySpec, AuthorizationRule};

/// The `when` keys a connection answers (ztunnel's L4 attributes); any other key is HTTP.
const CONNECTION_KEYS: [&str; 5] = [
    "source.ip",
    "source.namespace",
    "source.principal",
    "destination.ip",
    "destination.port",
];

/// What the node proxy enforces of `rule` in a policy with `action`: the rule without its
/// HTTP parts, or none (an ALLOW rule with HTTP parts never matches).
pub fn connection_rule(
    action: AuthorizationAction,
    rule: &AuthorizationRule,
) -> Option<AuthorizationRule> {
    if http_attributes(rule).is_empty() {
        return Some(rule.clone());
    }
    if action == AuthorizationAction::Allow {
        return None;
    }
    let mut kept = rule.clone();
    for to in kept.to.iter_mut().flatten() {
        if let Some(operation) = &mut to.operation {
            operation.hosts.clear();
            operation.not_hosts.clear();
            operation.methods.clear();
            operation.not_methods.clear();
            operation.paths.clear();
            operation.not_paths.clear();
        }
    }
    for from in kept.from.iter_mut().flatten() {
        if let Some(source) = &mut from.source {
            source.remote_ip_blocks.clear();
            source.not_remote_ip_blocks.clear();
            source.request_principals.clear();
            source.not_request_principals.clear();
        }
    }
    kept.when
        .retain(|condition| CONNECTION_KEYS.contains(&condition.key.as_str()));
    Some(kept)
}

/// The HTTP attributes `rule` names, in the policy's spelling (`methods`, `request.headers[x]`).
fn http_attributes(rule: &AuthorizationRule) -> Vec<String> {
    let mut found = Vec::new();
    let mut note = |present: bool, name: &str| {
        if present && !found.iter().any(|seen| seen == name) {
            found.push(name.to_owned());
        }
    };
    for operation in rule
        .to
        .iter()
        .flatten()
        .filter_map(|to| to.operation.as_ref())
    {
        note(!operation.hosts.is_empty(), "hosts");
        note(!operation.not_hosts.is_empty(), "notHosts");
        note(!operation.methods.is_empty(), "methods");
        note(!operation.not_methods.is_empty(), "notMethods");
        note(!operation.paths.is_empty(), "paths");
        note(!operation.not_paths.is_empty(), "notPaths");
    }
    for source in rule
        .from
        .iter()
        .flatten()
        .filter_map(|from| from.source.as_ref())
    {
        note(!source.remote_ip_blocks.is_empty(), "remoteIpBlocks");
        note(!source.not_remote_ip_blocks.is_empty(), "notRemoteIpBlocks");
        note(!source.request_principals.is_empty(), "requestPrincipals");
        note(
            !source.not_request_principals.is_empty(),
            "notRequestPrincipals",
        );
    }
    for condition in &rule.when {
        note(
            !CONNECTION_KEYS.contains(&condition.key.as_str()),
            &condition.key,
        );
    }
    found
}

/// What `apply` says about a policy the node proxy enforces differently from its text: HTTP
/// attributes it cannot see, or an action it does not take. None when it enforces it as written.
pub fn warning(key: &ResourceKey, spec: &AuthorizationPolicySpec) -> Option<String> {
    if spec.action == AuthorizationAction::Audit {
        return Some(format!(
            "{key}: selects pods in ambient mode; the node proxy (ztunnel) does not support the \
             AUDIT action, so the policy does nothing there"
        ));
    }
    let mut found: Vec<String> = Vec::new();
    for name in spec.rules.iter().flat_map(http_attributes) {
        if !found.contains(&name) {
            found.push(name);
        }
    }
    if found.is_empty() {
        return None;
    }
    found.sort();
    let effect = match spec.action {
        AuthorizationAction::Deny => {
            "the DENY policy is enforced without its HTTP rules, more restrictive than written"
        }
        _ => {
            "the ALLOW policy's rules with HTTP attributes match nothing, more restrictive than written"
        }
    };
    Some(format!(
        "{key}: selects pods in ambient mode, whose node proxy (ztunnel) checks connections, not \
         HTTP (found: {}): {effect}; a waypoint enforces HTTP rules",
        found.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(yaml: &str) -> AuthorizationRule {
        serde_yaml_ng::from_str(yaml).expect("a rule")
    }

    #[test]
    fn an_allow_rule_with_http_attributes_is_dropped_and_a_deny_rule_loses_them() {
        let with_methods = rule(
            "{from: [{source: {principals: [a]}}], to: [{operation: {methods: [GET], ports: ['9080']}}], \
             when: [{key: 'request.headers[x]', values: ['1']}, {key: source.ip, values: [10.0.0.1]}]}",
        );
        assert!(connection_rule(AuthorizationAction::Allow, &with_methods).is_none());
        let deny = connection_rule(AuthorizationAction::Deny, &with_methods).unwrap();
        let operation = deny.to.unwrap()[0].operation.clone().unwrap();
        assert!(operation.methods.is_empty());
        assert_eq!(operation.ports, ["9080"]);
        assert_eq!(deny.when.len(), 1);
        assert_eq!(deny.when[0].key, "source.ip");

        let l4 = rule("{from: [{source: {namespaces: [default]}}]}");
        let kept = connection_rule(AuthorizationAction::Allow, &l4).unwrap();
        assert_eq!(
            kept.from.unwrap()[0].source.as_ref().unwrap().namespaces,
            ["default"]
        );
    }

    #[test]
    fn the_warning_names_the_http_attributes_and_the_effect() {
        let spec: AuthorizationPolicySpec = serde_yaml_ng::from_str(
            "{action: DENY, rules: [{to: [{operation: {paths: [/x], methods: [GET]}}]}]}",
        )
        .unwrap();
        let key = ResourceKey {
            kind: crate::istio::Kind::AuthorizationPolicy,
            namespace: "default".to_owned(),
            name: "deny-x".to_owned(),
        };
        let text = warning(&key, &spec).unwrap();
        assert!(text.contains("(found: methods, paths)"), "{text}");
        assert!(text.contains("without its HTTP rules"), "{text}");
        let plain: AuthorizationPolicySpec =
            serde_yaml_ng::from_str("{rules: [{from: [{source: {principals: [a]}}]}]}").unwrap();
        assert_eq!(warning(&key, &plain), None);
    }
}
