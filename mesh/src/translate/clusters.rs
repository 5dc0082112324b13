//! Services and DestinationRules to Envoy clusters, as istiod builds outbound clusters: one per
//! service with every workload, one per subset with the workloads its labels select, and the
//! rule's traffic policy (the subset's own overriding it part by part) as load balancing,
//! circuit breakers and outlier detection.

use serde_json::{Value, json};

use crate::duration::IstioDuration;
use crate::istio::{
    ConnectionPool, LoadBalancer, OutlierDetection, SimpleLb, Subset, TlsMode, TrafficPolicy,
};
use crate::topology::{NAMESPACE, Service, Workload};

const CLUSTER_TYPE: &str = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
const HTTP_OPTIONS_TYPE: &str =
    "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

/// The mesh-wide `connectTimeout` default.
const DEFAULT_CONNECT_TIMEOUT: &str = "10s";

/// istiod leaves Envoy's circuit breakers wide open unless a DestinationRule says otherwise.
const UNLIMITED: u32 = u32::MAX;

/// The cluster for one service, or one subset of it.
pub fn cluster(
    service: &Service,
    subset: Option<&Subset>,
    rule_policy: Option<&TrafficPolicy>,
) -> Value {
    let subset_name = subset.map_or("", |subset| subset.name.as_str());
    let name = format!("outbound|{}|{subset_name}|{}", service.port, service.fqdn());
    let workloads: Vec<&Workload> = match subset {
        Some(subset) => service.select(&subset.labels).collect(),
        None => service.workloads.iter().collect(),
    };
    let policy = merged_policy(
        rule_policy,
        subset.and_then(|subset| subset.traffic_policy.as_ref()),
    );

    let mut out = serde_json::Map::new();
    out.insert("@type".into(), json!(CLUSTER_TYPE));
    out.insert("name".into(), json!(name));
    // istiod uses EDS; the endpoints are fixed here, so they are given inline.
    out.insert("type".into(), json!("STATIC"));
    out.insert("connect_timeout".into(), json!(DEFAULT_CONNECT_TIMEOUT));
    out.insert(
        "lb_policy".into(),
        json!(lb_policy(policy.load_balancer.as_ref())),
    );
    apply_connection_pool(&mut out, policy.connection_pool.as_ref());
    if let Some(outlier) = &policy.outlier_detection {
        apply_outlier_detection(&mut out, outlier);
    }
    out.insert(
        "load_assignment".into(),
        json!({
            "cluster_name": name,
            "endpoints": [{ "lb_endpoints": workloads.iter().map(|workload| endpoint(service, workload)).collect::<Vec<_>>() }],
        }),
    );
    out.insert(
        "metadata".into(),
        json!({"filter_metadata": {"istio": {
            "services": [{"host": service.fqdn(), "name": service.name, "namespace": NAMESPACE}],
            "subset": subset_name,
        }}}),
    );
    Value::Object(out)
}

fn endpoint(service: &Service, workload: &Workload) -> Value {
    json!({
        "endpoint": {
            "address": {"socket_address": {
                "address": workload.address.ip().to_string(),
                "port_value": workload.address.port(),
            }},
            "hostname": format!("{}-{}", service.name, workload.version()),
        },
        "metadata": {"filter_metadata": {"istio": {"workload": format!(
            "{}-{};{NAMESPACE};{};{};Kubernetes",
            service.name, workload.version(), service.name, workload.version()
        )}}},
    })
}

/// The subset's policy over the rule's, component by component, as istiod merges them.
fn merged_policy(rule: Option<&TrafficPolicy>, subset: Option<&TrafficPolicy>) -> TrafficPolicy {
    let rule = rule.cloned().unwrap_or_default();
    let Some(subset) = subset else {
        return rule;
    };
    TrafficPolicy {
        load_balancer: subset.load_balancer.clone().or(rule.load_balancer),
        connection_pool: subset.connection_pool.clone().or(rule.connection_pool),
        outlier_detection: subset.outlier_detection.clone().or(rule.outlier_detection),
        tls: subset.tls.clone().or(rule.tls),
        port_level_settings: rule.port_level_settings,
    }
}

/// The `tls.mode` in force for a subset (or the service): the subset's own, else the rule's.
pub fn tls_mode(rule_policy: Option<&TrafficPolicy>, subset: Option<&Subset>) -> Option<TlsMode> {
    merged_policy(
        rule_policy,
        subset.and_then(|subset| subset.traffic_policy.as_ref()),
    )
    .tls
    .map(|tls| tls.mode)
}

/// istiod's default is `LEAST_REQUEST`; `LEAST_CONN` is its deprecated alias.
fn lb_policy(load_balancer: Option<&LoadBalancer>) -> &'static str {
    match load_balancer.and_then(|lb| lb.simple) {
        Some(SimpleLb::RoundRobin) => "ROUND_ROBIN",
        Some(SimpleLb::Random) => "RANDOM",
        Some(SimpleLb::LeastRequest | SimpleLb::LeastConn | SimpleLb::Unspecified) | None => {
            "LEAST_REQUEST"
        }
    }
}

/// Circuit breaker thresholds and HTTP connection limits; zero means "not set", as in istiod.
fn apply_connection_pool(out: &mut serde_json::Map<String, Value>, pool: Option<&ConnectionPool>) {
    let mut max_connections = UNLIMITED;
    let mut max_pending_requests = UNLIMITED;
    let mut max_requests = UNLIMITED;
    let mut max_retries = UNLIMITED;
    let mut common_http = serde_json::Map::new();
    let mut idle_timeout: Option<IstioDuration> = None;
    if let Some(http) = pool.and_then(|pool| pool.http.as_ref()) {
        if let Some(value) = http.http2_max_requests.filter(|value| *value > 0) {
            max_requests = value;
        }
        if let Some(value) = http.http1_max_pending_requests.filter(|value| *value > 0) {
            max_pending_requests = value;
        }
        if let Some(value) = http.max_retries.filter(|value| *value > 0) {
            max_retries = value;
        }
        if let Some(value) = http.max_requests_per_connection.filter(|value| *value > 0) {
            common_http.insert("max_requests_per_connection".into(), json!(value));
        }
        idle_timeout = http.idle_timeout;
    }
    if let Some(tcp) = pool.and_then(|pool| pool.tcp.as_ref()) {
        if let Some(timeout) = tcp.connect_timeout {
            out.insert("connect_timeout".into(), json!(timeout.envoy()));
        }
        if let Some(value) = tcp.max_connections.filter(|value| *value > 0) {
            max_connections = value;
        }
        if let Some(duration) = tcp.max_connection_duration {
            common_http.insert("max_connection_duration".into(), json!(duration.envoy()));
        }
        idle_timeout = idle_timeout.or(tcp.idle_timeout);
    }
    if let Some(idle) = idle_timeout {
        common_http.insert("idle_timeout".into(), json!(idle.envoy()));
    }
    out.insert(
        "circuit_breakers".into(),
        json!({"thresholds": [{
            "max_connections": max_connections,
            "max_pending_requests": max_pending_requests,
            "max_requests": max_requests,
            "max_retries": max_retries,
            "track_remaining": true,
        }]}),
    );
    if !common_http.is_empty() {
        out.insert(
            "typed_extension_protocol_options".into(),
            json!({"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": HTTP_OPTIONS_TYPE,
                "common_http_protocol_options": common_http,
                "explicit_http_config": {"http_protocol_options": {}},
            }}),
        );
    }
}

/// istiod's `applyOutlierDetection`: success-rate ejection off, each consecutive-error check
/// enforced at 100% when set, and the panic threshold at `minHealthPercent` (0 by default).
fn apply_outlier_detection(out: &mut serde_json::Map<String, Value>, outlier: &OutlierDetection) {
    let mut detection = serde_json::Map::new();
    detection.insert("enforcing_success_rate".into(), json!(0));
    if let Some(errors) = outlier.consecutive_5xx_errors {
        detection.insert("consecutive_5xx".into(), json!(errors));
        detection.insert(
            "enforcing_consecutive_5xx".into(),
            json!(if errors > 0 { 100 } else { 0 }),
        );
    }
    if let Some(errors) = outlier.consecutive_gateway_errors {
        detection.insert("consecutive_gateway_failure".into(), json!(errors));
        detection.insert(
            "enforcing_consecutive_gateway_failure".into(),
            json!(if errors > 0 { 100 } else { 0 }),
        );
    }
    if let Some(interval) = outlier.interval {
        detection.insert("interval".into(), json!(interval.envoy()));
    }
    if let Some(time) = outlier.base_ejection_time {
        detection.insert("base_ejection_time".into(), json!(time.envoy()));
    }
    if let Some(percent) = outlier.max_ejection_percent.filter(|percent| *percent > 0) {
        detection.insert("max_ejection_percent".into(), json!(percent));
    }
    if outlier.split_external_local_origin_errors == Some(true) {
        detection.insert("split_external_local_origin_errors".into(), json!(true));
        if let Some(failures) = outlier
            .consecutive_local_origin_failures
            .filter(|value| *value > 0)
        {
            detection.insert("consecutive_local_origin_failure".into(), json!(failures));
            detection.insert(
                "enforcing_consecutive_local_origin_failure".into(),
                json!(100),
            );
        }
        detection.insert("enforcing_local_origin_success_rate".into(), json!(0));
    }
    out.insert("outlier_detection".into(), Value::Object(detection));
    let panic_threshold = outlier.min_health_percent.unwrap_or(0);
    out.insert(
        "common_lb_config".into(),
        json!({"healthy_panic_threshold": {"value": panic_threshold}}),
    );
}
