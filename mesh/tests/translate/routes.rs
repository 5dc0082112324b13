//! Sidecar routes: order, matching, weights, faults, timeouts and retries as istiod makes them.

use mesh::translate::{DEFAULT_RETRY_ON, ROUTER_FAULT_FILTER};
use serde_json::json;

use crate::fixtures::*;
use crate::helpers::*;

#[test]
fn without_virtual_services_each_service_routes_to_all_its_workloads() {
    let config = translate_all(&[]);

    let routes = sidecar_routes(&config, "reviews");

    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0]["name"], "default");
    assert_eq!(routes[0]["match"], json!({"prefix": "/"}));
    assert_eq!(routes[0]["route"]["cluster"], reviews_cluster(""));
    assert_eq!(
        routes[0]["route"]["timeout"], "0s",
        "Istio disables the route timeout"
    );
    let retry = &routes[0]["route"]["retry_policy"];
    assert_eq!(retry["num_retries"], 2);
    assert_eq!(retry["retry_on"], DEFAULT_RETRY_ON);
    let all = cluster(&config, &reviews_cluster(""));
    assert_eq!(
        endpoints(all),
        ["127.0.0.1:10003", "127.0.0.1:10004", "127.0.0.1:10005"]
    );
    assert_eq!(
        all["lb_policy"], "LEAST_REQUEST",
        "istiod's default load balancer"
    );
}

#[test]
fn all_v1_sends_every_service_to_its_v1_subset() {
    let config = translate_all(&[DESTINATION_RULE_ALL, ALL_V1]);

    for service in ["productpage", "details", "reviews", "ratings"] {
        let routes = sidecar_routes(&config, service);
        assert_eq!(routes.len(), 1, "{service}");
        assert_eq!(
            routes[0]["route"]["cluster"],
            format!("outbound|9080|v1|{service}.default.svc.cluster.local"),
            "{service}"
        );
    }
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn reviews_test_v2_matches_end_user_jason_before_falling_back_to_v1() {
    let config = translate_all(&[DESTINATION_RULE_ALL, REVIEWS_TEST_V2]);

    let routes = sidecar_routes(&config, "reviews");

    assert_eq!(routes.len(), 2, "one route per rule, in rule order");
    assert_eq!(
        routes[0]["match"],
        json!({
            "prefix": "/",
            "case_sensitive": true,
            "headers": [{"name": "end-user", "string_match": {"exact": "jason"}}],
        })
    );
    assert_eq!(routes[0]["route"]["cluster"], reviews_cluster("v2"));
    assert_eq!(routes[1]["match"], json!({"prefix": "/"}));
    assert_eq!(routes[1]["route"]["cluster"], reviews_cluster("v1"));
}

#[test]
fn weights_become_weighted_clusters() {
    let config = translate_all(&[DESTINATION_RULE_ALL, REVIEWS_50_V3]);

    let routes = sidecar_routes(&config, "reviews");

    assert_eq!(
        routes[0]["route"]["weighted_clusters"],
        json!({"clusters": [
            {"name": reviews_cluster("v1"), "weight": 50},
            {"name": reviews_cluster("v3"), "weight": 50},
        ]})
    );
    assert!(routes[0]["route"].get("cluster").is_none());
}

#[test]
fn a_delay_is_per_route_config_of_the_fault_filter_that_runs_before_the_router() {
    let config = translate_all(&[DESTINATION_RULE_ALL, RATINGS_TEST_DELAY]);

    let routes = sidecar_routes(&config, "ratings");

    let fault = &routes[0]["typed_per_filter_config"][ROUTER_FAULT_FILTER];
    assert_eq!(
        fault["delay"],
        json!({"fixed_delay": "7s", "percentage": {"numerator": 1_000_000, "denominator": "MILLION"}})
    );
    assert!(fault.get("abort").is_none());
    assert!(
        routes[1].get("typed_per_filter_config").is_none(),
        "only jason is delayed"
    );
    let layout = mesh::Layout::in_dir("/tmp/x".as_ref());
    let listener = config
        .listener_resources(&layout)
        .into_iter()
        .find(|listener| listener["name"] == "ratings.default.svc.cluster.local_9080")
        .unwrap();
    let filters: Vec<_> =
        listener["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|filter| filter["name"].as_str().unwrap().to_owned())
            .collect();
    assert_eq!(filters, [ROUTER_FAULT_FILTER, "envoy.filters.http.router"]);
}

#[test]
fn an_abort_carries_its_status_and_percentage() {
    let config = translate_all(&[DESTINATION_RULE_ALL, RATINGS_TEST_ABORT]);

    let routes = sidecar_routes(&config, "ratings");

    assert_eq!(
        routes[0]["typed_per_filter_config"][ROUTER_FAULT_FILTER]["abort"],
        json!({"http_status": 500, "percentage": {"numerator": 1_000_000, "denominator": "MILLION"}})
    );
}

#[test]
fn the_old_integer_percent_of_a_delay_is_read_as_istio_reads_it() {
    let old_form =
        RATINGS_TEST_DELAY.replace("percentage:\n          value: 100.0", "percent: 100");

    let config = translate_all(&[DESTINATION_RULE_ALL, &old_form]);

    let routes = sidecar_routes(&config, "ratings");
    assert_eq!(
        routes[0]["typed_per_filter_config"][ROUTER_FAULT_FILTER]["delay"]["percentage"],
        json!({"numerator": 100, "denominator": "HUNDRED"})
    );
}

#[test]
fn a_timeout_becomes_the_route_timeout() {
    let config = translate_all(&[DESTINATION_RULE_ALL, REVIEWS_V2_TIMEOUT]);

    let routes = sidecar_routes(&config, "reviews");

    assert_eq!(routes[0]["route"]["timeout"], "0.5s");
}

#[test]
fn a_rule_without_match_is_a_catch_all_and_ends_the_routes() {
    let config = translate_all(&[DETAILS_ABORT_555]);

    let routes = sidecar_routes(&config, "details");

    assert_eq!(
        routes.len(),
        1,
        "the second rule can never match, istiod drops it"
    );
    assert_eq!(
        routes[0]["typed_per_filter_config"][ROUTER_FAULT_FILTER]["abort"]["http_status"],
        555
    );
}

#[test]
fn retries_rewrite_mirror_and_matchers_follow_istio() {
    let config = translate_all(&[DESTINATION_RULE_ALL, REVIEWS_RETRY_REWRITE_MIRROR]);

    let routes = sidecar_routes(&config, "reviews");

    assert_eq!(routes.len(), 3);
    let legacy = &routes[0];
    assert_eq!(legacy["name"], "legacy.old-prefix");
    assert_eq!(legacy["match"]["prefix"], "/old");
    assert_eq!(legacy["route"]["prefix_rewrite"], "/reviews");
    let retry = &legacy["route"]["retry_policy"];
    assert_eq!(retry["num_retries"], 3);
    assert_eq!(retry["retry_on"], "gateway-error,retriable-status-codes");
    assert_eq!(retry["retriable_status_codes"], json!([503]));
    assert_eq!(retry["per_try_timeout"], "2s");
    assert_eq!(
        legacy["route"]["request_mirror_policies"],
        json!([{
            "cluster": reviews_cluster("v3"),
            "runtime_fraction": {"default_value": {"numerator": 250_000, "denominator": "MILLION"}},
            "trace_sampled": false,
        }])
    );
    let canary = &routes[1];
    assert_eq!(
        canary["match"]["safe_regex"],
        json!({"regex": "/reviews/[0-9]+"})
    );
    assert_eq!(
        canary["match"]["headers"],
        json!([
            {"name": "end-user", "string_match": {"prefix": "ja"}},
            {"name": "x-canary", "string_match": {"safe_regex": {"regex": "yes|true"}}},
        ])
    );
    assert!(
        canary["route"].get("retry_policy").is_none(),
        "attempts: 0 disables retries"
    );
}

#[test]
fn match_blocks_are_ored_as_one_route_each() {
    let config = translate_all(&[GATEWAY]);

    let hosts = ingress_hosts(&config);

    let matches: Vec<_> = hosts[0]["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|route| route["match"].clone())
        .collect();
    assert_eq!(
        matches,
        [
            json!({"path": "/productpage", "case_sensitive": true}),
            json!({"prefix": "/static", "case_sensitive": true}),
            json!({"path": "/login", "case_sensitive": true}),
            json!({"path": "/logout", "case_sensitive": true}),
            json!({"prefix": "/api/v1/products", "case_sensitive": true}),
        ]
    );
}

#[test]
fn the_oldest_virtual_service_for_a_host_wins_and_the_other_is_reported() {
    let newer = REVIEWS_V3.replace("name: reviews\nspec", "name: reviews-too\nspec");

    let config = translate_all(&[DESTINATION_RULE_ALL, REVIEWS_TEST_V2, &newer]);

    let routes = sidecar_routes(&config, "reviews");
    assert_eq!(routes[1]["route"]["cluster"], reviews_cluster("v1"));
    assert!(
        config
            .warnings
            .iter()
            .any(|warning| warning.contains("VirtualService reviews-too")),
        "{:?}",
        config.warnings
    );
}

#[test]
fn a_subset_no_destination_rule_defines_is_routed_to_and_reported() {
    let config = translate_all(&[ALL_V1]);

    let routes = sidecar_routes(&config, "reviews");

    assert_eq!(routes[0]["route"]["cluster"], reviews_cluster("v1"));
    assert!(config.cluster(&reviews_cluster("v1")).is_none());
    assert!(
        config
            .warnings
            .iter()
            .any(|warning| warning.contains("subset v1") && warning.contains("503")),
        "{:?}",
        config.warnings
    );
}

#[test]
fn a_virtual_service_for_all_hosts_applies_to_services_without_their_own() {
    let wildcard = REVIEWS_V3
        .replace("name: reviews\nspec", "name: everything\nspec")
        .replace("hosts:\n    - reviews", "hosts:\n    - \"*\"");

    let config = translate_all(&[DESTINATION_RULE_ALL, &wildcard, REVIEWS_TEST_V2]);

    assert_eq!(
        sidecar_routes(&config, "details")[0]["route"]["cluster"],
        reviews_cluster("v3")
    );
    assert_eq!(
        sidecar_routes(&config, "reviews").len(),
        2,
        "the exact host wins"
    );
}
