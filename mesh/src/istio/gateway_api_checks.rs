//! The checks the Gateway API's CRD validation and Istio's gateway controller make on each
//! Service, Gateway and HTTPRoute by itself, plus what only the local mesh cannot serve (a
//! listener that is not plain HTTP on the ingress ports). Whether a parent or backend exists is
//! a question for translation, as on a cluster.

use super::gateway_api::*;
use super::validate::{Problem, problem};
use crate::topology::{INGRESS_GATEWAY_HTTPS_PORTS, INGRESS_GATEWAY_PORTS};

/// The methods an HTTPRoute match may name.
const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// An HTTPS listener terminates TLS with a Secret of its own namespace; HTTP has no tls.
fn check_listener_tls(path: &str, https: bool, tls: Option<&ListenerTls>) -> Result<(), Problem> {
    let Some(tls) = tls else {
        return if https {
            problem(format!("{path}.tls"), "is required for HTTPS")
        } else {
            Ok(())
        };
    };
    if !https {
        return problem(format!("{path}.tls"), "applies to HTTPS listeners only");
    }
    let Some(reference) = tls.certificate_refs.first() else {
        return problem(
            format!("{path}.tls.certificateRefs"),
            "is required for Terminate",
        );
    };
    if tls.certificate_refs.len() > 1 {
        return problem(
            format!("{path}.tls.certificateRefs"),
            "more than one is not supported",
        );
    }
    let kind_ok = reference
        .kind
        .as_deref()
        .is_none_or(|kind| kind == "Secret")
        && reference.group.as_deref().is_none_or(str::is_empty);
    if !kind_ok {
        return problem(
            format!("{path}.tls.certificateRefs[0]"),
            "only core Secrets are supported",
        );
    }
    if reference.namespace.is_some() {
        return problem(
            format!("{path}.tls.certificateRefs[0].namespace"),
            "is not supported (a Secret of the Gateway's namespace; ReferenceGrants are not simulated)",
        );
    }
    Ok(())
}

pub fn check_service(service: &ServiceSpec) -> Result<(), Problem> {
    if service.ports.is_empty() {
        return problem("ports", "is required");
    }
    if service.selector.is_empty() {
        return problem(
            "selector",
            "is required: a Service without one selects no workload here",
        );
    }
    Ok(())
}

pub fn check_gateway(gateway: &KubernetesGatewaySpec) -> Result<(), Problem> {
    if gateway.is_waypoint() {
        return check_waypoint(gateway);
    }
    if gateway.gateway_class_name != ISTIO_GATEWAY_CLASS {
        return problem(
            "gatewayClassName",
            format!(
                "{} is not supported (only {ISTIO_GATEWAY_CLASS} or {WAYPOINT_GATEWAY_CLASS})",
                gateway.gateway_class_name
            ),
        );
    }
    if gateway.listeners.is_empty() {
        return problem("listeners", "is required");
    }
    for (index, listener) in gateway.listeners.iter().enumerate() {
        let path = format!("listeners[{index}]");
        let https = listener.protocol == "HTTPS";
        if !https && listener.protocol != "HTTP" {
            return problem(
                format!("{path}.protocol"),
                format!("{} is not supported (HTTP or HTTPS)", listener.protocol),
            );
        }
        let (ports, exposed) = if https {
            (
                INGRESS_GATEWAY_HTTPS_PORTS,
                "443, as Istio's gateway Service exposes it, or 8443",
            )
        } else {
            (
                INGRESS_GATEWAY_PORTS,
                "80, as Istio's gateway Service exposes it, or 8080",
            )
        };
        let served = u16::try_from(listener.port).is_ok_and(|number| ports.contains(&number));
        if !served {
            return problem(
                format!("{path}.port"),
                format!(
                    "{} is not served by the local ingress for {} ({exposed})",
                    listener.port, listener.protocol
                ),
            );
        }
        check_listener_tls(&path, https, listener.tls.as_ref())?;
        let kinds = listener
            .allowed_routes
            .as_ref()
            .map(|allowed| allowed.kinds.as_slice())
            .unwrap_or_default();
        for (position, kind) in kinds.iter().enumerate() {
            if kind.kind != "HTTPRoute" {
                return problem(
                    format!("{path}.allowedRoutes.kinds[{position}].kind"),
                    format!("{} is not supported (only HTTPRoute)", kind.kind),
                );
            }
        }
    }
    Ok(())
}

pub fn check_http_route(route: &HttpRouteSpec) -> Result<(), Problem> {
    if route.parent_refs.is_empty() {
        return problem("parentRefs", "is required (a Gateway or a Service)");
    }
    for (index, parent) in route.parent_refs.iter().enumerate() {
        check_parent(&format!("parentRefs[{index}]"), parent)?;
    }
    for (index, rule) in route.rules.iter().enumerate() {
        check_rule(&format!("rules[{index}]"), rule)?;
    }
    Ok(())
}

fn check_parent(path: &str, parent: &ParentRef) -> Result<(), Problem> {
    match (parent.kind.as_deref(), parent.group.as_deref()) {
        (None | Some("Gateway"), None | Some(GATEWAY_API_GROUP)) => Ok(()),
        (Some("Service"), None | Some("" | "core" | GATEWAY_API_GROUP)) => {
            if parent.section_name.is_some() {
                return problem(
                    format!("{path}.sectionName"),
                    "is not supported for a Service parent",
                );
            }
            Ok(())
        }
        (kind, group) => problem(
            format!("{path}.kind"),
            format!(
                "{} of group {:?} is not supported (a Gateway, or a Service)",
                kind.unwrap_or("Gateway"),
                group.unwrap_or(GATEWAY_API_GROUP)
            ),
        ),
    }
}

fn check_rule(path: &str, rule: &HttpRouteRule) -> Result<(), Problem> {
    for (index, block) in rule.matches.iter().enumerate() {
        check_match(&format!("{path}.matches[{index}]"), block)?;
    }
    for (index, backend) in rule.backend_refs.iter().enumerate() {
        check_backend(&format!("{path}.backendRefs[{index}]"), backend)?;
    }
    let redirects = rule
        .filters
        .iter()
        .any(|filter| filter.filter_type == FilterType::RequestRedirect);
    let rewrites = rule
        .filters
        .iter()
        .any(|filter| filter.filter_type == FilterType::UrlRewrite);
    if redirects && rewrites {
        return problem(
            format!("{path}.filters"),
            "may not hold both RequestRedirect and URLRewrite",
        );
    }
    for (index, filter) in rule.filters.iter().enumerate() {
        check_filter(&format!("{path}.filters[{index}]"), filter)?;
    }
    if let Some(timeouts) = rule.timeouts
        && let (Some(request), Some(backend)) = (timeouts.request, timeouts.backend_request)
        && request.0 != std::time::Duration::ZERO
        && backend > request
    {
        return problem(
            format!("{path}.timeouts.backendRequest"),
            "must not be longer than timeouts.request",
        );
    }
    Ok(())
}

fn check_match(path: &str, block: &HttpRouteMatch) -> Result<(), Problem> {
    if let Some(path_match) = &block.path {
        let value = path_match.value.as_deref().unwrap_or("/");
        match path_match.match_type {
            PathMatchType::Exact | PathMatchType::PathPrefix if !value.starts_with('/') => {
                return problem(format!("{path}.path.value"), "must be an absolute path");
            }
            PathMatchType::RegularExpression if value.is_empty() => {
                return problem(format!("{path}.path.value"), "is required");
            }
            _ => {}
        }
    }
    if let Some(method) = &block.method
        && !METHODS.contains(&method.as_str())
    {
        return problem(
            format!("{path}.method"),
            format!("{method} is not an HTTP method"),
        );
    }
    for (field, matches) in [
        ("headers", &block.headers),
        ("queryParams", &block.query_params),
    ] {
        for (index, value_match) in matches.iter().enumerate() {
            if value_match.name.is_empty() {
                return problem(format!("{path}.{field}[{index}].name"), "is required");
            }
        }
    }
    Ok(())
}

fn check_backend(path: &str, backend: &BackendRef) -> Result<(), Problem> {
    let is_service = matches!(backend.kind.as_deref(), None | Some("Service"))
        && matches!(backend.group.as_deref(), None | Some("" | "core"));
    if !is_service {
        return problem(
            format!("{path}.kind"),
            format!(
                "{} is not supported (only a core Service)",
                backend.kind.as_deref().unwrap_or("Service")
            ),
        );
    }
    if backend.port.is_none() {
        return problem(format!("{path}.port"), "is required for a Service");
    }
    if backend.weight.is_some_and(|weight| weight > 1_000_000) {
        return problem(format!("{path}.weight"), "must be at most 1000000");
    }
    Ok(())
}

fn check_filter(path: &str, filter: &HttpRouteFilter) -> Result<(), Problem> {
    let given = [
        (
            FilterType::RequestHeaderModifier,
            "requestHeaderModifier",
            filter.request_header_modifier.is_some(),
        ),
        (
            FilterType::ResponseHeaderModifier,
            "responseHeaderModifier",
            filter.response_header_modifier.is_some(),
        ),
        (
            FilterType::RequestRedirect,
            "requestRedirect",
            filter.request_redirect.is_some(),
        ),
        (
            FilterType::UrlRewrite,
            "urlRewrite",
            filter.url_rewrite.is_some(),
        ),
        (
            FilterType::RequestMirror,
            "requestMirror",
            filter.request_mirror.is_some(),
        ),
    ];
    for (filter_type, field, present) in given {
        if (filter_type == filter.filter_type) != present {
            let message = if present {
                "must be unset for this filter type"
            } else {
                "is required for this filter type"
            };
            return problem(format!("{path}.{field}"), message);
        }
    }
    let modifier = match filter.filter_type {
        FilterType::RequestRedirect => filter
            .request_redirect
            .as_ref()
            .and_then(|redirect| redirect.path.as_ref()),
        FilterType::UrlRewrite => filter
            .url_rewrite
            .as_ref()
            .and_then(|rewrite| rewrite.path.as_ref()),
        _ => None,
    };
    if let Some(modifier) = modifier
        && modifier.value().is_none()
    {
        return problem(
            format!("{path}.path"),
            "needs the value of its type (replaceFullPath or replacePrefixMatch)",
        );
    }
    if let Some(redirect) = &filter.request_redirect
        && let Some(code) = redirect.status_code
        && !matches!(code, 301 | 302)
    {
        return problem(
            format!("{path}.requestRedirect.statusCode"),
            format!("{code} is not supported (301 or 302)"),
        );
    }
    if let Some(mirror) = &filter.request_mirror {
        check_backend(
            &format!("{path}.requestMirror.backendRef"),
            &mirror.backend_ref,
        )?;
    }
    Ok(())
}

/// A waypoint listens for HBONE on 15008 only (its listener is named `mesh` by istioctl, any
/// name is taken).
fn check_waypoint(gateway: &KubernetesGatewaySpec) -> Result<(), Problem> {
    let (_, port, protocol) = WAYPOINT_LISTENER;
    if gateway.listeners.is_empty() {
        return problem("listeners", "is required");
    }
    for (index, listener) in gateway.listeners.iter().enumerate() {
        if listener.protocol != protocol || listener.port != port {
            return problem(
                format!("listeners[{index}]"),
                format!(
                    "{} on {} is not supported for a waypoint (only {protocol} on {port})",
                    listener.protocol, listener.port
                ),
            );
        }
    }
    Ok(())
}
