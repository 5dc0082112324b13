//! VirtualService `http` rules to Envoy routes, the way istiod builds them: one route per match
//! block (blocks ORed, conditions in a block ANDed), in rule order, stopping after a catch-all;
//! faults as per-route config of the fault filter; Istio's timeout and retry defaults.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::hosts::{self, MESH_GATEWAY};
use super::policies::{fault_config, mirror_fraction, retry_policy};
use super::{ROUTER_FAULT_FILTER, Translation, sidecars};
use crate::duration::IstioDuration;
use crate::identity::Pod;
use crate::istio::{
    Destination, HeaderOperations, HttpRoute, MatchRequest, PathRewrite, Redirect, ResourceKey,
    StringMatch, VirtualServiceSpec,
};

/// Istio's name for the route it generates for a service without a VirtualService.
pub const DEFAULT_ROUTE_NAME: &str = "default";

/// Where the routes are for: which listener port, which gateways (`mesh` for sidecars), and
/// whose sidecar (none: the ingress, or the shared outbound listeners without sidecars).
pub struct RouteContext<'a> {
    pub listen_port: u16,
    pub gateways: &'a BTreeSet<String>,
    pub source: Option<&'a Pod>,
}

impl RouteContext<'_> {
    /// The name of `cluster` as this source's sidecar has it.
    pub fn cluster(&self, cluster: String) -> String {
        sidecars::source_cluster(self.source, cluster)
    }
}

/// The route istiod generates for a service no VirtualService routes: everything to the
/// service's cluster of all workloads, no timeout, the default retries.
pub fn default_route(cluster: &str, operation: &str) -> Value {
    json!({
        "name": DEFAULT_ROUTE_NAME,
        "match": {"prefix": "/"},
        "route": {
            "cluster": cluster,
            "timeout": "0s",
            "retry_policy": retry_policy(None),
        },
        "decorator": {"operation": operation},
    })
}

/// The routes of one VirtualService in this context (possibly none).
pub fn virtual_service_routes(
    key: &ResourceKey,
    spec: &VirtualServiceSpec,
    context: &RouteContext<'_>,
    translation: &mut Translation<'_>,
) -> Vec<Value> {
    let mut out = Vec::new();
    for (index, rule) in spec.http.iter().enumerate() {
        let mut catch_all = false;
        if rule.matches.is_empty() {
            out.push(route(
                key,
                index,
                rule,
                None,
                context,
                translation,
                spec.gateway_semantics,
            ));
            catch_all = true;
        } else {
            for block in &rule.matches {
                if !block_applies(block, &key.namespace, context) {
                    continue;
                }
                let built = route(
                    key,
                    index,
                    rule,
                    Some(block),
                    context,
                    translation,
                    spec.gateway_semantics,
                );
                // Routes are matched in order: nothing after a catch-all could ever be reached.
                catch_all = is_catch_all(&built);
                out.push(built);
                if catch_all {
                    break;
                }
            }
        }
        if catch_all {
            break;
        }
    }
    out
}

/// Moves catch-all routes after the others, keeping order otherwise: what istiod does to the
/// merged routes of a gateway virtual host so one VirtualService cannot shadow another.
pub fn sort_catch_all_last(routes: Vec<Value>) -> Vec<Value> {
    let (catch_all, specific): (Vec<Value>, Vec<Value>) =
        routes.into_iter().partition(is_catch_all);
    specific.into_iter().chain(catch_all).collect()
}

/// Whether a match block is for this listener: its `port`, `sourceLabels` and `gateways`, if
/// given.
fn block_applies(block: &MatchRequest, namespace: &str, context: &RouteContext<'_>) -> bool {
    if block
        .port
        .is_some_and(|port| port != u32::from(context.listen_port))
    {
        return false;
    }
    // istiod builds each sidecar's routes for its own workload: a rule for other callers'
    // labels is not in them.
    let from_source = block.source_labels.iter().all(|(key, value)| {
        context
            .source
            .is_some_and(|pod| pod.labels.get(key) == Some(value))
    });
    if !from_source {
        return false;
    }
    block.gateways.is_empty()
        || block.gateways.iter().any(|gateway| {
            context
                .gateways
                .contains(&hosts::gateway_name(gateway, namespace))
        })
}

fn is_catch_all(route: &Value) -> bool {
    let Some(matcher) = route.get("match") else {
        return false;
    };
    let whole_path = matcher.get("prefix").and_then(Value::as_str) == Some("/")
        || matcher.pointer("/safe_regex/regex").and_then(Value::as_str) == Some(".*");
    whole_path && matcher.get("headers").is_none() && matcher.get("query_parameters").is_none()
}

fn route(
    key: &ResourceKey,
    index: usize,
    rule: &HttpRoute,
    block: Option<&MatchRequest>,
    context: &RouteContext<'_>,
    translation: &mut Translation<'_>,
    gateway_semantics: bool,
) -> Value {
    let mut name = rule.name.clone().unwrap_or_default();
    if let Some(match_name) = block.and_then(|block| block.name.as_deref()) {
        name = format!("{name}.{match_name}");
    }
    let rule_path = format!("http[{index}]");
    let (action_name, action) = match (&rule.redirect, rule.direct_response) {
        (Some(redirect), _) => ("redirect", redirect_action(redirect)),
        (None, Some(status)) => ("direct_response", json!({ "status": status })),
        (None, None) => (
            "route",
            Value::Object(route_action(key, &rule_path, rule, context, translation)),
        ),
    };

    let mut out = serde_json::Map::new();
    out.insert("name".into(), json!(name));
    out.insert("match".into(), route_match(block, gateway_semantics));
    out.insert(action_name.into(), action);
    add_header_edits(&mut out, &rule.headers);
    out.insert(
        "decorator".into(),
        json!({"operation": operation(&out, &key.name, context.listen_port)}),
    );
    if let Some(fault) = rule.fault.as_ref().and_then(fault_config) {
        out.insert(
            "typed_per_filter_config".into(),
            json!({ ROUTER_FAULT_FILTER: fault }),
        );
    }
    Value::Object(out)
}

/// Where a rule sends a request: its destinations (weighted when several), timeout, rewrites,
/// mirror and retries.
fn route_action(
    key: &ResourceKey,
    rule_path: &str,
    rule: &HttpRoute,
    context: &RouteContext<'_>,
    translation: &mut Translation<'_>,
) -> serde_json::Map<String, Value> {
    let mut action = serde_json::Map::new();
    if let [only] = rule.route.as_slice() {
        let cluster = context.cluster(translation.destination_cluster(
            key,
            &format!("{rule_path}.route[0]"),
            &only.destination,
            context.listen_port,
        ));
        action.insert("cluster".into(), json!(cluster));
    } else {
        let weighted: Vec<Value> = rule
            .route
            .iter()
            .enumerate()
            // Istio drops zero weights when there are other destinations.
            .filter(|(_, destination)| destination.weight.unwrap_or(0) != 0)
            .map(|(position, destination)| {
                let cluster = context.cluster(translation.destination_cluster(
                    key,
                    &format!("{rule_path}.route[{position}]"),
                    &destination.destination,
                    context.listen_port,
                ));
                json!({"name": cluster, "weight": destination.weight.unwrap_or(0)})
            })
            .collect();
        action.insert("weighted_clusters".into(), json!({ "clusters": weighted }));
    }
    // Istio's default is no timeout at all (Envoy's own default would be 15s).
    let timeout = rule
        .timeout
        .map_or_else(|| "0s".to_owned(), IstioDuration::envoy);
    action.insert("timeout".into(), json!(timeout));
    if let Some(rewrite) = &rule.rewrite {
        if let Some(uri) = &rewrite.uri {
            action.insert("prefix_rewrite".into(), json!(uri));
        }
        if let Some(authority) = &rewrite.authority {
            action.insert("host_rewrite_literal".into(), json!(authority));
        }
        if let Some(full_path) = &rewrite.full_path {
            action.insert(
                "regex_rewrite".into(),
                json!({"pattern": {"regex": "^/.*$"}, "substitution": full_path}),
            );
        }
    }
    if let Some(mirror) = &rule.mirror
        && let Some(fraction) = mirror_fraction(rule.mirror_percentage)
    {
        let cluster = context.cluster(translation.destination_cluster(
            key,
            &format!("{rule_path}.mirror"),
            mirror,
            context.listen_port,
        ));
        action.insert(
            "request_mirror_policies".into(),
            json!([{
                "cluster": cluster,
                "runtime_fraction": {"default_value": fraction},
                "trace_sampled": false,
            }]),
        );
    }
    if let Some(policy) = retry_policy(rule.retries.as_ref()) {
        action.insert("retry_policy".into(), policy);
    }

    action
}

/// A match block as an Envoy `RouteMatch`: path by `uri`, everything else as header and query
/// matchers, all of which must hold. With the Gateway API's semantics a prefix matches whole
/// path segments (`/static` matches `/static/x`, not `/staticx`).
fn route_match(block: Option<&MatchRequest>, gateway_semantics: bool) -> Value {
    let mut out = serde_json::Map::new();
    let Some(block) = block else {
        out.insert("prefix".into(), json!("/"));
        return Value::Object(out);
    };
    match &block.uri {
        Some(StringMatch {
            exact: Some(path), ..
        }) => out.insert("path".into(), json!(path)),
        Some(StringMatch {
            prefix: Some(prefix),
            ..
        }) if gateway_semantics && !prefix.trim_end_matches('/').is_empty() => out.insert(
            "path_separated_prefix".into(),
            json!(prefix.trim_end_matches('/')),
        ),
        Some(StringMatch {
            prefix: Some(prefix),
            ..
        }) => out.insert("prefix".into(), json!(prefix)),
        Some(StringMatch {
            regex: Some(regex), ..
        }) => out.insert("safe_regex".into(), json!({ "regex": regex })),
        _ => out.insert("prefix".into(), json!("/")),
    };
    out.insert("case_sensitive".into(), json!(!block.ignore_uri_case));

    // BTreeMap order: istiod sorts header matchers by name too.
    let mut headers: Vec<Value> = block
        .headers
        .iter()
        .map(|(name, string_match)| header_matcher(name, string_match))
        .collect();
    for (name, string_match) in &block.without_headers {
        let mut matcher = header_matcher(name, string_match);
        if let Value::Object(fields) = &mut matcher {
            fields.insert("invert_match".into(), json!(true));
            if !fields.contains_key("present_match") {
                fields.insert("treat_missing_header_as_empty".into(), json!(true));
            }
        }
        headers.push(matcher);
    }
    headers.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let pseudo = [
        (":method", &block.method),
        (":authority", &block.authority),
        (":scheme", &block.scheme),
    ];
    for (name, string_match) in pseudo {
        if let Some(string_match) = string_match {
            headers.push(header_matcher(name, string_match));
        }
    }
    if !headers.is_empty() {
        out.insert("headers".into(), Value::Array(headers));
    }
    let query: Vec<Value> = block
        .query_params
        .iter()
        .map(
            |(name, string_match)| match envoy_string_match(string_match) {
                Some(matcher) => json!({"name": name, "string_match": matcher}),
                None => json!({"name": name, "present_match": true}),
            },
        )
        .collect();
    if !query.is_empty() {
        out.insert("query_parameters".into(), Value::Array(query));
    }
    Value::Object(out)
}

fn header_matcher(name: &str, string_match: &StringMatch) -> Value {
    match envoy_string_match(string_match) {
        Some(matcher) => json!({"name": name, "string_match": matcher}),
        None => json!({"name": name, "present_match": true}),
    }
}

/// `exact`/`prefix`/`regex` as Envoy's `StringMatcher`; `None` means "present" (no value
/// given, or Istio's special regex `*`).
fn envoy_string_match(string_match: &StringMatch) -> Option<Value> {
    match string_match {
        StringMatch {
            exact: Some(value), ..
        } => Some(json!({ "exact": value })),
        StringMatch {
            prefix: Some(value),
            ..
        } => Some(json!({ "prefix": value })),
        StringMatch {
            regex: Some(value), ..
        } if value != "*" => Some(json!({ "safe_regex": {"regex": value} })),
        _ => None,
    }
}

/// The tracing operation name istiod puts in the route's decorator.
fn operation(route: &serde_json::Map<String, Value>, virtual_service: &str, port: u16) -> String {
    let matcher = &route["match"];
    let path = if let Some(prefix) = matcher.get("prefix").and_then(Value::as_str) {
        format!("{prefix}*")
    } else if let Some(prefix) = matcher.get("path_separated_prefix").and_then(Value::as_str) {
        format!("{prefix}*")
    } else if let Some(path) = matcher.get("path").and_then(Value::as_str) {
        path.to_owned()
    } else if let Some(regex) = matcher.pointer("/safe_regex/regex").and_then(Value::as_str) {
        regex.to_owned()
    } else {
        "/*".to_owned()
    };
    let single_cluster = route
        .get("route")
        .and_then(|action| action.get("cluster"))
        .and_then(Value::as_str)
        .and_then(|cluster| {
            let mut parts = cluster.split('|');
            let (_, port, _, host) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            Some(format!("{host}:{port}"))
        });
    match single_cluster {
        Some(host_port) => format!("{host_port}{path}"),
        None => format!("{virtual_service}:{port}{path}"),
    }
}

/// Whether a VirtualService's `gateways` put it on the sidecars.
pub fn applies_to_mesh(spec: &VirtualServiceSpec) -> bool {
    spec.gateways.is_empty() || spec.gateways.iter().any(|gateway| gateway == MESH_GATEWAY)
}

/// The destination's cluster name as istiod builds it: `outbound|<port>|<subset>|<host>`.
pub fn cluster_name(destination: &Destination, namespace: &str, default_port: u16) -> String {
    let host = hosts::resolve(&destination.host, namespace);
    let port = destination
        .port
        .as_ref()
        .map_or(u32::from(default_port), |port| port.number);
    let subset = destination.subset.as_deref().unwrap_or("");
    format!("outbound|{port}|{subset}|{host}")
}

/// A redirect as Envoy's `RedirectAction`.
fn redirect_action(redirect: &Redirect) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(scheme) = &redirect.scheme {
        out.insert("scheme_redirect".into(), json!(scheme));
    }
    if let Some(authority) = &redirect.authority {
        out.insert("host_redirect".into(), json!(authority));
    }
    if let Some(port) = redirect.port {
        out.insert("port_redirect".into(), json!(port));
    }
    match &redirect.path {
        Some(PathRewrite::Full(path)) => out.insert("path_redirect".into(), json!(path)),
        Some(PathRewrite::Prefix(prefix)) => out.insert("prefix_rewrite".into(), json!(prefix)),
        None => None,
    };
    let code = if redirect.status == 301 {
        "MOVED_PERMANENTLY"
    } else {
        "FOUND"
    };
    out.insert("response_code".into(), json!(code));
    Value::Object(out)
}

/// Header edits as the route's `request_headers_to_add/remove` and
/// `response_headers_to_add/remove`.
fn add_header_edits(route: &mut serde_json::Map<String, Value>, headers: &HeaderOperations) {
    for (direction, edits) in [
        ("request", &headers.request),
        ("response", &headers.response),
    ] {
        let set = edits
            .set
            .iter()
            .map(|pair| (pair, "OVERWRITE_IF_EXISTS_OR_ADD"));
        let add = edits
            .add
            .iter()
            .map(|pair| (pair, "APPEND_IF_EXISTS_OR_ADD"));
        let to_add: Vec<Value> = set
            .chain(add)
            .map(|((name, value), append_action)| {
                json!({"header": {"key": name, "value": value}, "append_action": append_action})
            })
            .collect();
        if !to_add.is_empty() {
            route.insert(format!("{direction}_headers_to_add"), json!(to_add));
        }
        if !edits.remove.is_empty() {
            route.insert(
                format!("{direction}_headers_to_remove"),
                json!(edits.remove),
            );
        }
    }
}
