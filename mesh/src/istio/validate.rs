//! The checks Istio's validation webhook makes on each resource by itself (weights adding up to
//! 100, a route per rule, sane percentages), plus what only the local mesh cannot serve (a
//! Gateway server that is not plain HTTP on the ingress ports). Cross-resource questions
//! (does the subset exist?) are left to translation, which mirrors what Istio does at run time.

use std::collections::BTreeSet;
use std::time::Duration;

use super::spec::*;
use super::{Spec, authz_checks, gateway_api_checks, service_entry};
use crate::duration::IstioDuration;
use crate::topology::{
    INGRESS_GATEWAY_HTTPS_PORTS, INGRESS_GATEWAY_PORTS, INGRESS_GATEWAY_SELECTOR,
};

/// A problem: the field's path inside `spec`, and what is wrong with it.
pub type Problem = (String, String);

pub fn check(spec: &Spec) -> Result<(), Problem> {
    match spec {
        Spec::Gateway(gateway) => check_gateway(gateway),
        Spec::VirtualService(virtual_service) => check_virtual_service(virtual_service),
        Spec::DestinationRule(rule) => check_destination_rule(rule),
        Spec::ServiceEntry(entry) => service_entry::check(entry),
        Spec::Service(service) => gateway_api_checks::check_service(service),
        Spec::KubernetesGateway(gateway) => gateway_api_checks::check_gateway(gateway),
        Spec::HttpRoute(route) => gateway_api_checks::check_http_route(route),
        // Read and checked as it is parsed: see `SecretSpec::from_document`.
        Spec::Secret(_) => Ok(()),
        Spec::AuthorizationPolicy(policy) => authz_checks::check_authorization_policy(policy),
        Spec::PeerAuthentication(spec) => super::peer_authentication::check(spec),
    }
}

pub(super) fn problem(path: impl Into<String>, message: impl Into<String>) -> Result<(), Problem> {
    Err((path.into(), message.into()))
}

// === Gateway ===

/// An HTTPS server terminates TLS with a credential or passes it through; a TLS server passes
/// it through; an HTTP server may only redirect.
fn check_server_tls(path: &str, server: &Server) -> Result<(), Problem> {
    let https = server.is_tls();
    match (https, server.tls.as_ref()) {
        (true, None) => problem(
            format!("{path}.tls"),
            format!("is required for {}", server.port.protocol),
        ),
        (true, Some(tls)) if tls.mode.is_none() => problem(
            format!("{path}.tls.mode"),
            "is required for HTTPS (SIMPLE, MUTUAL or PASSTHROUGH)",
        ),
        (true, Some(tls))
            if tls.mode != Some(ServerTlsMode::Passthrough)
                && server.port.protocol.eq_ignore_ascii_case("TLS") =>
        {
            problem(
                format!("{path}.tls.mode"),
                "must be PASSTHROUGH for protocol TLS (tcp routes are not supported)",
            )
        }
        (true, Some(tls)) if tls.mode == Some(ServerTlsMode::Passthrough) => Ok(()),
        (true, Some(tls))
            if tls
                .credential_name
                .as_deref()
                .unwrap_or_default()
                .is_empty() =>
        {
            problem(
                format!("{path}.tls.credentialName"),
                "is required (the local mesh reads certificates from Secrets only)",
            )
        }
        (false, Some(tls)) if tls.mode.is_some() || tls.credential_name.is_some() => problem(
            format!("{path}.tls"),
            "only httpsRedirect applies to an HTTP server",
        ),
        _ => Ok(()),
    }
}

fn check_gateway(gateway: &GatewaySpec) -> Result<(), Problem> {
    let (label, value) = INGRESS_GATEWAY_SELECTOR;
    let selects_ingress = gateway.selector.len() == 1
        && gateway.selector.get(label).map(String::as_str) == Some(value);
    if !selects_ingress {
        return problem(
            "selector",
            format!("must be {{{label}: {value}}}: the local mesh has that one gateway"),
        );
    }
    if gateway.servers.is_empty() {
        return problem("servers", "is required");
    }
    for (index, server) in gateway.servers.iter().enumerate() {
        let path = format!("servers[{index}]");
        let https = server.is_tls();
        if !https && !server.port.protocol.eq_ignore_ascii_case("HTTP") {
            return problem(
                format!("{path}.port.protocol"),
                format!(
                    "{} is not supported (HTTP, HTTPS or TLS)",
                    server.port.protocol
                ),
            );
        }
        let (ports, listener) = if https {
            (INGRESS_GATEWAY_HTTPS_PORTS, "8443, or 443")
        } else {
            (INGRESS_GATEWAY_PORTS, "8080, or 80")
        };
        let served = u16::try_from(server.port.number).is_ok_and(|number| ports.contains(&number));
        if !served {
            return problem(
                format!("{path}.port.number"),
                format!(
                    "{} is not served by the local ingress for {} ({listener} as the ingress Service maps it)",
                    server.port.number, server.port.protocol
                ),
            );
        }
        check_server_tls(&path, server)?;
        if server.hosts.is_empty() {
            return problem(format!("{path}.hosts"), "is required");
        }
    }
    Ok(())
}

// === VirtualService ===

fn check_virtual_service(virtual_service: &VirtualServiceSpec) -> Result<(), Problem> {
    if virtual_service.hosts.is_empty() {
        return problem("hosts", "is required");
    }
    if virtual_service.http.is_empty() && virtual_service.tls.is_empty() {
        return problem("http", "is required (or tls; tcp routes are not supported)");
    }
    for (index, rule) in virtual_service.http.iter().enumerate() {
        check_http_route(&format!("http[{index}]"), rule)?;
    }
    for (index, rule) in virtual_service.tls.iter().enumerate() {
        check_tls_route(&format!("tls[{index}]"), rule)?;
    }
    Ok(())
}

/// Istio's checks of a `tls` route: a match with SNI hosts, and destinations as for HTTP.
fn check_tls_route(path: &str, rule: &TlsRoute) -> Result<(), Problem> {
    if rule.matches.is_empty() {
        return problem(format!("{path}.match"), "is required");
    }
    for (index, block) in rule.matches.iter().enumerate() {
        if block.sni_hosts.is_empty() {
            return problem(format!("{path}.match[{index}].sniHosts"), "is required");
        }
    }
    if rule.route.is_empty() {
        return problem(format!("{path}.route"), "is required");
    }
    check_weighted_destinations(path, &rule.route)
}

fn check_http_route(path: &str, rule: &HttpRoute) -> Result<(), Problem> {
    for (index, block) in rule.matches.iter().enumerate() {
        check_match(&format!("{path}.match[{index}]"), block)?;
    }
    if rule.route.is_empty() {
        return problem(
            format!("{path}.route"),
            "is required (redirect and directResponse are not supported)",
        );
    }
    check_weighted_destinations(path, &rule.route)?;
    if let Some(fault) = &rule.fault {
        check_fault(&format!("{path}.fault"), fault)?;
    }
    if let Some(timeout) = rule.timeout {
        check_duration(&format!("{path}.timeout"), timeout)?;
    }
    if let Some(retries) = &rule.retries {
        check_retries(&format!("{path}.retries"), retries)?;
    }
    if let Some(rewrite) = &rule.rewrite
        && rewrite.uri.is_none()
        && rewrite.authority.is_none()
    {
        return problem(format!("{path}.rewrite"), "must set uri or authority");
    }
    if let Some(mirror) = &rule.mirror {
        check_destination(&format!("{path}.mirror"), mirror)?;
    }
    if let Some(percentage) = rule.mirror_percentage {
        if rule.mirror.is_none() {
            return problem(format!("{path}.mirrorPercentage"), "needs mirror");
        }
        check_percent(&format!("{path}.mirrorPercentage"), percentage)?;
    }
    Ok(())
}

/// Each destination, and weights in 0..100 adding up to 100 when there are several.
fn check_weighted_destinations(path: &str, route: &[RouteDestination]) -> Result<(), Problem> {
    let mut total = 0;
    for (index, destination) in route.iter().enumerate() {
        let here = format!("{path}.route[{index}]");
        check_destination(&format!("{here}.destination"), &destination.destination)?;
        if let Some(weight) = destination.weight {
            if !(0..=100).contains(&weight) {
                return problem(
                    format!("{here}.weight"),
                    format!("{weight} is not in 0..100"),
                );
            }
            total += weight;
        }
    }
    if route.len() > 1 && total != 100 {
        return problem(
            format!("{path}.route"),
            format!("total destination weight {total} != 100"),
        );
    }
    Ok(())
}

fn check_match(path: &str, block: &MatchRequest) -> Result<(), Problem> {
    let must_choose = [
        ("uri", &block.uri),
        ("method", &block.method),
        ("authority", &block.authority),
        ("scheme", &block.scheme),
    ];
    for (name, string_match) in must_choose {
        if let Some(string_match) = string_match {
            check_string_match(&format!("{path}.{name}"), string_match, false)?;
        }
    }
    let maps = [
        ("headers", &block.headers),
        ("withoutHeaders", &block.without_headers),
        ("queryParams", &block.query_params),
    ];
    for (name, map) in maps {
        for (key, string_match) in map {
            check_string_match(&format!("{path}.{name}.{key}"), string_match, true)?;
        }
    }
    if let Some(port) = block.port
        && !(1..=65535).contains(&port)
    {
        return problem(format!("{path}.port"), format!("{port} is not a port"));
    }
    Ok(())
}

fn check_string_match(
    path: &str,
    string_match: &StringMatch,
    may_be_empty: bool,
) -> Result<(), Problem> {
    let chosen = [
        &string_match.exact,
        &string_match.prefix,
        &string_match.regex,
    ]
    .iter()
    .filter(|value| value.is_some())
    .count();
    match chosen {
        0 if may_be_empty => Ok(()),
        1 => Ok(()),
        _ => problem(path, "must set exactly one of exact, prefix or regex"),
    }
}

fn check_destination(path: &str, destination: &Destination) -> Result<(), Problem> {
    if destination.host.is_empty() {
        return problem(format!("{path}.host"), "is required");
    }
    if let Some(port) = &destination.port
        && !(1..=65535).contains(&port.number)
    {
        return problem(
            format!("{path}.port.number"),
            format!("{} is not a port", port.number),
        );
    }
    Ok(())
}

fn check_fault(path: &str, fault: &Fault) -> Result<(), Problem> {
    if fault.delay.is_none() && fault.abort.is_none() {
        return problem(path, "must set delay or abort");
    }
    if let Some(delay) = &fault.delay {
        let here = format!("{path}.delay");
        match delay.fixed_delay {
            None => {
                return problem(
                    format!("{here}.fixedDelay"),
                    "is required (exponentialDelay is not supported)",
                );
            }
            Some(fixed) => check_duration(&format!("{here}.fixedDelay"), fixed)?,
        }
        if delay.percentage.is_some() && delay.percent.is_some() {
            return problem(here, "set percentage or percent, not both");
        }
        if let Some(percentage) = delay.percentage {
            check_percent(&format!("{here}.percentage"), percentage)?;
        }
        if let Some(percent) = delay.percent
            && percent > 100
        {
            return problem(
                format!("{here}.percent"),
                format!("{percent} is not in 0..100"),
            );
        }
    }
    if let Some(abort) = &fault.abort {
        let here = format!("{path}.abort");
        match abort.http_status {
            None => {
                return problem(
                    format!("{here}.httpStatus"),
                    "is required (grpcStatus and http2Error are not supported)",
                );
            }
            Some(status) if !(200..=599).contains(&status) => {
                return problem(
                    format!("{here}.httpStatus"),
                    format!("{status} is not in 200..599"),
                );
            }
            Some(_) => {}
        }
        if let Some(percentage) = abort.percentage {
            check_percent(&format!("{here}.percentage"), percentage)?;
        }
    }
    Ok(())
}

fn check_retries(path: &str, retries: &Retries) -> Result<(), Problem> {
    if let Some(attempts) = retries.attempts
        && attempts < 0
    {
        return problem(format!("{path}.attempts"), "must be 0 or more");
    }
    if let Some(per_try) = retries.per_try_timeout {
        check_duration(&format!("{path}.perTryTimeout"), per_try)?;
    }
    if let Some(backoff) = retries.backoff {
        check_duration(&format!("{path}.backoff"), backoff)?;
    }
    Ok(())
}

fn check_percent(path: &str, percent: Percent) -> Result<(), Problem> {
    if (0.0..=100.0).contains(&percent.value) {
        Ok(())
    } else {
        problem(
            format!("{path}.value"),
            format!("{} is not in 0..100", percent.value),
        )
    }
}

/// Istio refuses durations under a millisecond.
fn check_duration(path: &str, duration: IstioDuration) -> Result<(), Problem> {
    if duration.0 < Duration::from_millis(1) {
        problem(path, "must be at least 1ms")
    } else {
        Ok(())
    }
}

// === DestinationRule ===

fn check_destination_rule(rule: &DestinationRuleSpec) -> Result<(), Problem> {
    if rule.host.is_empty() {
        return problem("host", "is required");
    }
    if let Some(policy) = &rule.traffic_policy {
        check_traffic_policy("trafficPolicy", policy)?;
    }
    let mut names = BTreeSet::new();
    for (index, subset) in rule.subsets.iter().enumerate() {
        let path = format!("subsets[{index}]");
        if subset.name.is_empty() {
            return problem(format!("{path}.name"), "is required");
        }
        if !names.insert(subset.name.as_str()) {
            return problem(
                format!("{path}.name"),
                format!("{} is defined twice", subset.name),
            );
        }
        if let Some(policy) = &subset.traffic_policy {
            check_traffic_policy(&format!("{path}.trafficPolicy"), policy)?;
        }
    }
    Ok(())
}

fn check_traffic_policy(path: &str, policy: &TrafficPolicy) -> Result<(), Problem> {
    if let Some(pool) = &policy.connection_pool
        && let Some(tcp) = &pool.tcp
        && let Some(timeout) = tcp.connect_timeout
    {
        check_duration(
            &format!("{path}.connectionPool.tcp.connectTimeout"),
            timeout,
        )?;
    }
    if let Some(outlier) = &policy.outlier_detection {
        let here = format!("{path}.outlierDetection");
        if let Some(percent) = outlier.max_ejection_percent
            && percent > 100
        {
            return problem(
                format!("{here}.maxEjectionPercent"),
                format!("{percent} is not in 0..100"),
            );
        }
        if let Some(percent) = outlier.min_health_percent
            && !(0..=100).contains(&percent)
        {
            return problem(
                format!("{here}.minHealthPercent"),
                format!("{percent} is not in 0..100"),
            );
        }
        if let Some(interval) = outlier.interval {
            check_duration(&format!("{here}.interval"), interval)?;
        }
        if let Some(time) = outlier.base_ejection_time {
            check_duration(&format!("{here}.baseEjectionTime"), time)?;
        }
    }
    Ok(())
}
