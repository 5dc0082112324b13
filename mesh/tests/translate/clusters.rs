//! Clusters: per service and per subset, with traffic policies as circuit breakers, load
//! balancing and outlier detection.

use serde_json::json;

use crate::fixtures::*;
use crate::helpers::*;

#[test]
fn destination_rule_subsets_become_clusters_of_the_workloads_their_labels_select() {
    let config = translate_all(&[DESTINATION_RULE_ALL]);

    assert_eq!(
        endpoints(cluster(&config, &reviews_cluster("v2"))),
        ["127.0.0.1:10004"]
    );
    assert_eq!(endpoints(cluster(&config, &reviews_cluster(""))).len(), 3);
    let empty = cluster(
        &config,
        "outbound|9080|v2|ratings.default.svc.cluster.local",
    );
    assert!(endpoints(empty).is_empty(), "no ratings v2 workload runs");
}

#[test]
fn clusters_without_policy_get_istios_open_circuit_breakers_and_connect_timeout() {
    let config = translate_all(&[]);

    let all = cluster(&config, &reviews_cluster(""));

    assert_eq!(all["connect_timeout"], "10s");
    assert_eq!(
        all["circuit_breakers"],
        json!({"thresholds": [{
            "max_connections": u32::MAX,
            "max_pending_requests": u32::MAX,
            "max_requests": u32::MAX,
            "max_retries": u32::MAX,
            "track_remaining": true,
        }]})
    );
    assert!(all.get("outlier_detection").is_none());
}

#[test]
fn connection_pool_and_outlier_detection_apply_to_every_cluster_of_the_host() {
    let config = translate_all(&[REVIEWS_CIRCUIT_BREAKER]);

    for name in [reviews_cluster(""), reviews_cluster("v1")] {
        let limited = cluster(&config, &name);
        let thresholds = &limited["circuit_breakers"]["thresholds"][0];
        assert_eq!(thresholds["max_connections"], 1, "{name}");
        assert_eq!(thresholds["max_pending_requests"], 1, "{name}");
        assert_eq!(thresholds["max_requests"], u32::MAX, "{name}");
        assert_eq!(
            limited["typed_extension_protocol_options"]["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
                ["common_http_protocol_options"],
            json!({"max_requests_per_connection": 1}),
            "{name}"
        );
        assert_eq!(
            limited["outlier_detection"],
            json!({
                "enforcing_success_rate": 0,
                "consecutive_5xx": 1,
                "enforcing_consecutive_5xx": 100,
                "interval": "1s",
                "base_ejection_time": "180s",
                "max_ejection_percent": 100,
            }),
            "{name}"
        );
        assert_eq!(
            limited["common_lb_config"]["healthy_panic_threshold"],
            json!({"value": 0})
        );
    }
}

#[test]
fn a_subset_policy_overrides_the_rule_policy_part_by_part() {
    let rule = r#"
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews.default.svc.cluster.local
  trafficPolicy:
    loadBalancer:
      simple: RANDOM
    connectionPool:
      tcp:
        maxConnections: 7
    tls:
      mode: ISTIO_MUTUAL
  subsets:
  - name: v1
    labels:
      version: v1
    trafficPolicy:
      loadBalancer:
        simple: ROUND_ROBIN
  - name: v2
    labels:
      version: v2
"#;

    let config = translate_all(&[rule]);

    let v1 = cluster(&config, &reviews_cluster("v1"));
    assert_eq!(v1["lb_policy"], "ROUND_ROBIN");
    assert_eq!(
        v1["circuit_breakers"]["thresholds"][0]["max_connections"],
        7
    );
    assert_eq!(
        cluster(&config, &reviews_cluster("v2"))["lb_policy"],
        "RANDOM"
    );
    assert_eq!(
        cluster(&config, &reviews_cluster(""))["lb_policy"],
        "RANDOM"
    );
}
