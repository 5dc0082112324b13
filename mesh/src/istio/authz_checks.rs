//! The checks the API server (the CRD's rules) and istiod's webhook make on an
//! AuthorizationPolicy by itself, with their messages, plus what this mesh cannot simulate
//! (CUSTOM, JWT principals), refused by name.

use super::authz::{
    Attribute, AuthorizationAction, AuthorizationPolicySpec, AuthorizationRule,
    PolicyTargetReference, cidr, port,
};
use super::validate::{Problem, problem};
use super::{API_GROUP, GATEWAY_API_GROUP};

pub fn check_authorization_policy(policy: &AuthorizationPolicySpec) -> Result<(), Problem> {
    let targets = policy.targets();
    let chosen = usize::from(policy.selector.is_some())
        + usize::from(policy.target_ref.is_some())
        + usize::from(!policy.target_refs.is_empty());
    if chosen > 1 {
        return problem("spec", "only one of targetRefs or selector can be set");
    }
    if let Some(selector) = &policy.selector {
        for (key, value) in &selector.match_labels {
            if key.is_empty() {
                return problem("selector.matchLabels", "key must not be empty");
            }
            if key.contains('*') || value.contains('*') {
                return problem(
                    format!("selector.matchLabels.{key}"),
                    "wildcard not allowed in label key or value match",
                );
            }
        }
    }
    let field = if policy.target_refs.is_empty() {
        "targetRef"
    } else {
        "targetRefs"
    };
    for (index, target) in targets.iter().enumerate() {
        let path = if policy.target_refs.is_empty() {
            field.to_owned()
        } else {
            format!("{field}[{index}]")
        };
        check_target(&path, target)?;
    }
    match policy.action {
        AuthorizationAction::Custom => {
            return problem(
                "action",
                "CUSTOM is not supported: it delegates to an external authorizer (meshConfig \
                 extensionProviders), which the local mesh does not have (ALLOW, DENY and AUDIT are)",
            );
        }
        _ if policy.provider.is_some() => {
            return problem("provider", "is only for the CUSTOM action");
        }
        _ => {}
    }
    for (index, rule) in policy.rules.iter().enumerate() {
        check_rule(&format!("rules[{index}]"), rule)?;
    }
    Ok(())
}

fn check_target(path: &str, target: &PolicyTargetReference) -> Result<(), Problem> {
    if target
        .namespace
        .as_deref()
        .is_some_and(|namespace| !namespace.is_empty())
    {
        return problem(
            format!("{path}.namespace"),
            "cross namespace referencing is not currently supported",
        );
    }
    if target.name.is_empty() {
        return problem(format!("{path}.name"), "is required");
    }
    let group = target.group.as_str();
    match (group, target.kind.as_str()) {
        (GATEWAY_API_GROUP | API_GROUP, "Gateway") | ("" | "core", "Service") => Ok(()),
        ("", "Gateway") => problem(
            format!("{path}.group"),
            format!("is required for kind Gateway ({GATEWAY_API_GROUP} or {API_GROUP})"),
        ),
        (_, kind) => problem(
            format!("{path}.kind"),
            format!(
                "{kind} of group \"{group}\" is not supported (Gateway of {GATEWAY_API_GROUP} or \
                 {API_GROUP}, or a core Service)"
            ),
        ),
    }
}

fn check_rule(path: &str, rule: &AuthorizationRule) -> Result<(), Problem> {
    let sources = checked_entries(
        &format!("{path}.from"),
        rule.from.as_deref(),
        "source",
        |from| from.source.as_ref(),
        |source| source.fields().to_vec(),
        |here, name, values| match name {
            "requestPrincipals" | "notRequestPrincipals" if !values.is_empty() => problem(
                here,
                "is not supported: request principals come from a RequestAuthentication (JWT), \
                 which the local mesh does not simulate",
            ),
            "ipBlocks" | "notIpBlocks" | "remoteIpBlocks" | "notRemoteIpBlocks" => {
                check_ips(here, values)
            }
            _ => Ok(()),
        },
    )?;
    for (index, source) in sources.iter().enumerate() {
        let accounts =
            !source.service_accounts.is_empty() || !source.not_service_accounts.is_empty();
        let identities = !source.principals.is_empty()
            || !source.not_principals.is_empty()
            || !source.namespaces.is_empty()
            || !source.not_namespaces.is_empty();
        if accounts && identities {
            return problem(
                format!("{path}.from[{index}].source"),
                "Cannot set serviceAccounts with namespaces or principals",
            );
        }
    }
    checked_entries(
        &format!("{path}.to"),
        rule.to.as_deref(),
        "operation",
        |to| to.operation.as_ref(),
        |operation| operation.fields().to_vec(),
        |here, name, values| match name {
            "ports" | "notPorts" => check_ports(here, values),
            "paths" | "notPaths" => check_path_templates(here, values),
            _ => Ok(()),
        },
    )?;
    for (index, condition) in rule.when.iter().enumerate() {
        let here = format!("{path}.when[{index}]");
        if condition.key.is_empty() {
            return problem(format!("{here}.key"), "must not be empty");
        }
        if condition.values.is_empty() && condition.not_values.is_empty() {
            return problem(
                here,
                format!(
                    "at least one of values or notValues must be set for key {}",
                    condition.key
                ),
            );
        }
        let attribute = match Attribute::parse(&condition.key) {
            Ok(attribute) => attribute,
            Err(message) => return problem(format!("{here}.key"), message),
        };
        for (name, values) in [
            ("values", &condition.values),
            ("notValues", &condition.not_values),
        ] {
            let field = format!("{here}.{name}");
            check_values(&field, values)?;
            match attribute {
                Attribute::SourceIp | Attribute::RemoteIp | Attribute::DestinationIp => {
                    check_ips(&field, values)?;
                }
                Attribute::DestinationPort => check_ports(&field, values)?,
                _ => {}
            }
        }
    }
    Ok(())
}

/// Istio refuses an empty string anywhere in a list.
fn check_values(path: &str, values: &[String]) -> Result<(), Problem> {
    if values.iter().any(String::is_empty) {
        return problem(path, "empty value not allowed");
    }
    Ok(())
}

fn check_ips(path: &str, values: &[String]) -> Result<(), Problem> {
    match values.iter().find(|value| cidr(value).is_none()) {
        Some(bad) => problem(path, format!("invalid IP address or CIDR range: {bad}")),
        None => Ok(()),
    }
}

fn check_ports(path: &str, values: &[String]) -> Result<(), Problem> {
    match values.iter().find(|value| port(value).is_none()) {
        Some(bad) => problem(path, format!("invalid port: {bad}")),
        None => Ok(()),
    }
}

/// Paths may hold Istio's templates `{*}` (one segment) and `{**}` (the rest, last only).
fn check_path_templates(path: &str, values: &[String]) -> Result<(), Problem> {
    for value in values.iter().filter(|value| value.contains(['{', '}'])) {
        let segments: Vec<&str> = value.split('/').collect();
        for (index, segment) in segments.iter().enumerate() {
            let valid = match *segment {
                "{*}" => true,
                "{**}" => index + 1 == segments.len(),
                other => !other.contains(['{', '}']),
            };
            if !valid {
                return problem(
                    path,
                    format!(
                        "invalid path template {value}: only whole segments {{*}}, and {{**}} as the last one, are allowed"
                    ),
                );
            }
        }
        if !value.starts_with('/') {
            return problem(
                path,
                format!("invalid path template {value}: must start with /"),
            );
        }
    }
    Ok(())
}

/// `from` or `to`: absent is fine, empty is not; each entry's `source` or `operation` must be
/// there with at least one field, no empty value, and what `check` says of each field. Returns
/// the entries' sources or operations.
fn checked_entries<'a, T, I>(
    path: &str,
    entries: Option<&'a [T]>,
    inner: &str,
    inner_of: impl Fn(&'a T) -> Option<&'a I>,
    fields_of: impl Fn(&'a I) -> Vec<(&'static str, &'a [String])>,
    check: impl Fn(&str, &str, &[String]) -> Result<(), Problem>,
) -> Result<Vec<&'a I>, Problem> {
    let Some(entries) = entries else {
        return Ok(Vec::new());
    };
    if entries.is_empty() {
        return Err((path.to_owned(), "must not be empty".to_owned()));
    }
    let mut out = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let here = format!("{path}[{index}].{inner}");
        let Some(inner) = inner_of(entry) else {
            return Err((here, "must not be nil".to_owned()));
        };
        let fields = fields_of(inner);
        if fields.iter().all(|(_, values)| values.is_empty()) {
            return Err((here, "must not be empty".to_owned()));
        }
        for (name, values) in fields {
            let field = format!("{here}.{name}");
            check_values(&field, values)?;
            check(&field, name, values)?;
        }
        out.push(inner);
    }
    Ok(out)
}
