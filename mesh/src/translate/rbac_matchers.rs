//! The Envoy RBAC permissions and principals for AuthorizationPolicy fields, as istiod generates
//! them: values of one field ORed, `not` values under a `not` of their OR, the fields ANDed;
//! Istio's `*` as presence (`*`), suffix (`*x`) or prefix (`x*`); principals as the peer
//! certificate's `spiffe://` URI, namespaces and service accounts as regexes over it.

use serde_json::{Value, json};

use super::rbac::ListenerPort;
use crate::istio::authz::{Attribute, cidr, port};

const URI_TEMPLATE_TYPE: &str =
    "type.googleapis.com/envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig";

/// The prefix of a workload identity: principals are written without it.
pub const SPIFFE_PREFIX: &str = "spiffe://";

/// A field of `to.operation` or `from.source`, or a `when` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Host,
    Method,
    Path,
    Port,
    Principal,
    ServiceAccount,
    Namespace,
    RemoteIp,
    SourceIp,
    Condition(Attribute),
}

/// One field with its values and `not` values.
pub type FieldValues<'a> = (Field, &'a [String], &'a [String]);

/// How Envoy spells the combinators of permissions, and of principals.
struct Combinators {
    and: &'static str,
    or: &'static str,
    list: &'static str,
    not: &'static str,
}

const PERMISSION: Combinators = Combinators {
    and: "and_rules",
    or: "or_rules",
    list: "rules",
    not: "not_rule",
};

const PRINCIPAL: Combinators = Combinators {
    and: "and_ids",
    or: "or_ids",
    list: "ids",
    not: "not_id",
};

/// The permission of one operation: its fields ANDed; no field at all matches anything.
pub fn permission(fields: &[FieldValues<'_>], port: ListenerPort) -> Value {
    combine(&PERMISSION, fields, |field, value| {
        permission_value(field, value, port)
    })
}

/// The principal of one source: its fields ANDed; no field at all matches anyone.
pub fn principal(fields: &[FieldValues<'_>], namespace: &str) -> Value {
    combine(&PRINCIPAL, fields, |field, value| {
        principal_value(field, value, namespace)
    })
}

/// The values of a field ORed, its `not` values under a `not` of their OR, the fields ANDed.
fn combine(
    combinators: &Combinators,
    fields: &[FieldValues<'_>],
    matcher: impl Fn(&Field, &str) -> Value,
) -> Value {
    let Combinators { and, or, list, not } = combinators;
    let any_of = |field: &Field, values: &[String]| {
        let matchers: Vec<Value> = values.iter().map(|value| matcher(field, value)).collect();
        json!({ *or: { *list: matchers } })
    };
    let mut all = Vec::new();
    for (field, values, not_values) in fields {
        if !values.is_empty() {
            all.push(any_of(field, values));
        }
        if !not_values.is_empty() {
            all.push(json!({ *not: any_of(field, not_values) }));
        }
    }
    if all.is_empty() {
        all.push(json!({"any": true}));
    }
    json!({ *and: { *list: all } })
}

fn permission_value(field: &Field, value: &str, listener: ListenerPort) -> Value {
    match field {
        Field::Host => json!({"header": header(":authority", value, true)}),
        Field::Method => json!({"header": header(":method", value, false)}),
        Field::Path if value.contains('{') => {
            // Istio's `{*}` and `{**}` are Envoy's URI template `*` and `**`.
            let template = value.replace("{**}", "**").replace("{*}", "*");
            json!({"uri_template": {
                "name": "uri-template",
                "typed_config": {"@type": URI_TEMPLATE_TYPE, "path_template": template},
            }})
        }
        Field::Path => json!({"url_path": {"path": string(value, "")}}),
        // The listener's port on a cluster is known here, the local one is not (it may be
        // chosen by the OS): decided now, as istiod decides ports for a waypoint's listener.
        Field::Port | Field::Condition(Attribute::DestinationPort) => {
            if port(value) == Some(listener.0) {
                json!({"any": true})
            } else {
                json!({"not_rule": {"any": true}})
            }
        }
        Field::Condition(Attribute::DestinationIp) => json!({"destination_ip": cidr_range(value)}),
        Field::Condition(Attribute::ConnectionSni) => {
            json!({"requested_server_name": string(value, "")})
        }
        // A caller's field is never a permission (see `Attribute::is_principal`); matching
        // nothing is the safe reading should one ever arrive.
        _ => json!({"not_rule": {"any": true}}),
    }
}

fn principal_value(field: &Field, value: &str, namespace: &str) -> Value {
    let authenticated = |matcher: Value| json!({"authenticated": {"principal_name": matcher}});
    match field {
        Field::Principal | Field::Condition(Attribute::SourcePrincipal) => {
            authenticated(string(value, SPIFFE_PREFIX))
        }
        Field::Namespace | Field::Condition(Attribute::SourceNamespace) => {
            let namespace = value.replace('*', ".*");
            authenticated(regex(&format!(".*/ns/{namespace}/.*")))
        }
        Field::ServiceAccount => {
            let (account_namespace, account) = value.split_once('/').unwrap_or((namespace, value));
            authenticated(regex(&format!(
                "spiffe://.+/ns/{}/(.+/|)sa/{}(/.+)?",
                escape(account_namespace),
                escape(account)
            )))
        }
        Field::SourceIp | Field::Condition(Attribute::SourceIp) => {
            json!({"direct_remote_ip": cidr_range(value)})
        }
        Field::RemoteIp | Field::Condition(Attribute::RemoteIp) => {
            json!({"remote_ip": cidr_range(value)})
        }
        Field::Condition(Attribute::RequestHeader(name)) => {
            json!({"header": header(name, value, false)})
        }
        // A request's field is never a principal (see `Attribute::is_principal`).
        _ => json!({"not_id": {"any": true}}),
    }
}

/// Istio's string match with `prefix` (`spiffe://` for principals) before the value: `*` is
/// "anything non-empty", `*x` a suffix, `x*` a prefix, anything else exact.
fn string(value: &str, prefix: &str) -> Value {
    if value == "*" {
        return regex(".+");
    }
    if let Some(suffix) = value.strip_prefix('*') {
        if prefix.is_empty() {
            return json!({"suffix": suffix});
        }
        return regex(&format!("{}.*{}", escape(prefix), escape(suffix)));
    }
    if let Some(start) = value.strip_suffix('*') {
        return json!({"prefix": format!("{prefix}{start}")});
    }
    json!({"exact": format!("{prefix}{value}")})
}

/// A header matcher with Istio's `*` forms; host names compare without case.
fn header(name: &str, value: &str, ignore_case: bool) -> Value {
    if value == "*" {
        return json!({"name": name, "present_match": true});
    }
    let mut matcher = if let Some(suffix) = value.strip_prefix('*') {
        json!({"suffix": suffix})
    } else if let Some(start) = value.strip_suffix('*') {
        json!({"prefix": start})
    } else {
        json!({"exact": value})
    };
    if ignore_case {
        matcher["ignore_case"] = json!(true);
    }
    json!({"name": name, "string_match": matcher})
}

fn regex(regex: &str) -> Value {
    json!({"safe_regex": {"regex": regex}})
}

/// `value` as a literal inside an RE2 regex.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Envoy's `CidrRange`; the value was checked when the policy was applied.
fn cidr_range(value: &str) -> Value {
    match cidr(value) {
        Some((address, prefix_len)) => {
            json!({"address_prefix": address.to_string(), "prefix_len": prefix_len})
        }
        // Unreachable after validation; an empty range would be refused by Envoy, so be loud.
        None => json!({"address_prefix": value, "prefix_len": 0}),
    }
}
