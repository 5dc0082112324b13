//! The Gateway API through the one routing model: Gateways become the ingress, HTTPRoutes
//! become routes on the ingress (Gateway parent) or on a service's sidecar listener (Service
//! parent), backends are Services.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::fixtures::*;
use crate::gateway_api_fixtures::*;
use crate::helpers::*;

fn service_cluster(service: &str) -> String {
    format!("outbound|9080||{service}.default.svc.cluster.local")
}

fn route_named<'a>(routes: &'a [Value], fragment: &str) -> &'a Value {
    routes
        .iter()
        .find(|route| route["name"].as_str().unwrap().contains(fragment))
        .unwrap_or_else(|| panic!("no route named like {fragment} in {routes:#?}"))
}

#[test]
fn the_bookinfo_gateway_and_route_expose_productpage_on_the_ingress() {
    let config = translate_all(&[BOOKINFO_GATEWAY]);

    let hosts = ingress_hosts(&config);
    assert_eq!(hosts.len(), 1, "{hosts:#?}");
    assert_eq!(hosts[0]["domains"], json!(["*"]));
    let routes = hosts[0]["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 5);
    for route in routes {
        assert_eq!(route["route"]["cluster"], service_cluster("productpage"));
    }
    // Exact paths first, then the longest prefix: the Gateway API's precedence.
    let matches: Vec<&Value> = routes.iter().map(|route| &route["match"]).collect();
    assert_eq!(matches[0]["path"], "/productpage");
    assert_eq!(matches[3]["path_separated_prefix"], "/api/v1/products");
    assert_eq!(matches[4]["path_separated_prefix"], "/static");
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn a_route_to_a_version_service_reaches_only_that_versions_workloads() {
    let config = translate_all(&[BOOKINFO_VERSIONS, ROUTE_ALL_V1]);

    let routes = sidecar_routes(&config, "reviews");
    assert_eq!(routes.len(), 1, "{routes:#?}");
    assert_eq!(routes[0]["route"]["cluster"], service_cluster("reviews-v1"));
    assert_eq!(
        endpoints(cluster(&config, &service_cluster("reviews-v1"))),
        ["127.0.0.1:10003"]
    );
    assert_eq!(
        endpoints(cluster(&config, &service_cluster("reviews-v3"))),
        ["127.0.0.1:10005"]
    );
    // The mesh's own Service keeps every version.
    assert_eq!(
        endpoints(cluster(&config, &service_cluster("reviews"))).len(),
        3
    );
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn a_header_match_goes_before_the_catch_all() {
    let config = translate_all(&[BOOKINFO_VERSIONS, &route_reviews_jason_v2()]);

    let routes = sidecar_routes(&config, "reviews");
    assert_eq!(routes.len(), 2, "{routes:#?}");
    assert_eq!(
        routes[0]["match"]["headers"],
        json!([{"name": "end-user", "string_match": {"exact": "jason"}}])
    );
    assert_eq!(routes[0]["route"]["cluster"], service_cluster("reviews-v2"));
    assert_eq!(routes[1]["match"]["prefix"], "/");
    assert_eq!(routes[1]["route"]["cluster"], service_cluster("reviews-v1"));
}

#[test]
fn backend_weights_become_weighted_clusters() {
    let config = translate_all(&[BOOKINFO_VERSIONS, ROUTE_REVIEWS_90_10]);

    let routes = sidecar_routes(&config, "reviews");
    assert_eq!(
        routes[0]["route"]["weighted_clusters"]["clusters"],
        json!([
            {"name": service_cluster("reviews-v1"), "weight": 90},
            {"name": service_cluster("reviews-v2"), "weight": 10},
        ])
    );
}

#[test]
fn a_backend_that_names_no_service_answers_500_and_is_reported() {
    // Without bookinfo-versions.yaml, reviews-v1 is no Service.
    let config = translate_all(&[ROUTE_ALL_V1]);

    let routes = sidecar_routes(&config, "reviews");
    assert_eq!(routes[0]["direct_response"]["status"], 500, "{routes:#?}");
    assert!(
        config
            .warnings
            .iter()
            .any(|warning| warning.contains("HTTPRoute reviews") && warning.contains("reviews-v1")),
        "{:?}",
        config.warnings
    );
}

#[test]
fn the_request_timeout_is_the_routes_timeout() {
    let config = translate_all(&[BOOKINFO_VERSIONS, &route_reviews_v2_timeout()]);

    let routes = sidecar_routes(&config, "reviews");
    assert_eq!(routes[0]["route"]["timeout"], "0.5s");
    assert_eq!(routes[0]["route"]["cluster"], service_cluster("reviews-v2"));
}

#[test]
fn an_httproute_and_a_virtual_service_for_different_hosts_both_apply() {
    let config = translate_all(&[
        DESTINATION_RULE_ALL,
        BOOKINFO_VERSIONS,
        &route_reviews_v2_timeout(),
        RATINGS_DELAY_2S,
    ]);

    let reviews = sidecar_routes(&config, "reviews");
    assert_eq!(
        reviews[0]["route"]["cluster"],
        service_cluster("reviews-v2")
    );
    let ratings = sidecar_routes(&config, "ratings");
    assert!(
        ratings[0]["typed_per_filter_config"]["envoy.filters.http.fault"]["delay"].is_object(),
        "{ratings:#?}"
    );
}

#[test]
fn filters_become_header_edits_redirects_rewrites_and_mirrors() {
    let config = translate_all(&[BOOKINFO_VERSIONS, &reviews_filters_route()]);

    let routes = sidecar_routes(&config, "reviews");
    assert_eq!(routes.len(), 4, "{routes:#?}");
    let full = route_named(&routes, ".1.");
    assert_eq!(full["match"]["path"], "/full");
    assert_eq!(full["route"]["host_rewrite_literal"], "elsewhere");
    assert_eq!(full["route"]["regex_rewrite"]["substitution"], "/reviews/0");
    let redirect = route_named(&routes, ".0.");
    assert_eq!(
        redirect["redirect"],
        json!({"prefix_rewrite": "/new", "response_code": "MOVED_PERMANENTLY"})
    );
    assert_eq!(redirect["match"]["path_separated_prefix"], "/old");
    let prefixed = route_named(&routes, ".2.");
    assert_eq!(prefixed["route"]["prefix_rewrite"], "/reviews");
    let edited = route_named(&routes, ".3.");
    assert_eq!(
        edited["request_headers_to_add"],
        json!([
            {"header": {"key": "x-set", "value": "one"}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"},
            {"header": {"key": "x-add", "value": "two"}, "append_action": "APPEND_IF_EXISTS_OR_ADD"},
        ])
    );
    assert_eq!(edited["request_headers_to_remove"], json!(["x-gone"]));
    assert_eq!(
        edited["response_headers_to_add"][0]["header"],
        json!({"key": "x-answer", "value": "three"})
    );
    assert_eq!(
        edited["route"]["request_mirror_policies"][0]["cluster"],
        service_cluster("reviews-v3")
    );
}

#[test]
fn a_listener_for_its_own_namespace_refuses_routes_from_another() {
    let elsewhere = BOOKINFO_GATEWAY.replace(
        "metadata:\n  name: bookinfo\n",
        "metadata:\n  name: bookinfo\n  namespace: shop\n",
    );
    let route_only = elsewhere.split("---").nth(1).unwrap();
    let gateway_only = BOOKINFO_GATEWAY.split("---").next().unwrap();
    let route_only = route_only.replace(
        "  - name: bookinfo-gateway\n",
        "  - name: bookinfo-gateway\n    namespace: default\n",
    );

    let config = translate_all(&[gateway_only, &route_only]);

    assert!(ingress_hosts(&config).is_empty());
    assert!(
        config
            .warnings
            .iter()
            .any(|warning| warning.contains("not accepted")),
        "{:?}",
        config.warnings
    );
}

#[test]
fn gateway_api_kinds_print_as_kubectl_prints_them() {
    let mut set = mesh::ResourceSet::new();
    let changes = set.apply(mesh::istio::parse(BOOKINFO_GATEWAY).unwrap());
    let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "gateway.gateway.networking.k8s.io/bookinfo-gateway created",
            "httproute.gateway.networking.k8s.io/bookinfo created",
        ]
    );
    let changes = set.apply(mesh::istio::parse(BOOKINFO_VERSIONS).unwrap());
    assert_eq!(changes[0].to_string(), "service/reviews-v1 created");
    // The saved state reads back.
    let restored = mesh::ResourceSet::from_json(&set.to_json()).unwrap();
    assert_eq!(restored.len(), set.len());
}

#[test]
fn gateway_api_fields_and_kinds_not_simulated_are_refused_by_name() {
    let refusal = |text: &str| mesh::istio::parse(text).unwrap_err().to_string();
    let cases = [
        (
            BOOKINFO_GATEWAY.replace("gatewayClassName: istio", "gatewayClassName: other"),
            "Gateway bookinfo-gateway: gatewayClassName other is not supported",
        ),
        (
            BOOKINFO_GATEWAY.replace("protocol: HTTP", "protocol: TLS"),
            "Gateway bookinfo-gateway: listeners[0].protocol TLS is not supported (HTTP or HTTPS)",
        ),
        (
            BOOKINFO_GATEWAY.replace("protocol: HTTP", "protocol: HTTPS"),
            "Gateway bookinfo-gateway: listeners[0].port 80 is not served by the local ingress for HTTPS",
        ),
        (
            BOOKINFO_GATEWAY.replace("  - name: http\n", "  - name: http\n    tls: {}\n"),
            "Gateway bookinfo-gateway: listeners[0].tls applies to HTTPS listeners only",
        ),
        (
            BOOKINFO_GATEWAY
                .replace("protocol: HTTP", "protocol: HTTPS")
                .replace("port: 80", "port: 443"),
            "Gateway bookinfo-gateway: listeners[0].tls is required for HTTPS",
        ),
        (
            ROUTE_REVIEWS_V3.replace("  rules:\n", "  rules:\n  - sessionPersistence: {}\n"),
            "HTTPRoute reviews: rules[0].sessionPersistence is not supported",
        ),
        (
            ROUTE_REVIEWS_V3.replace(
                "      port: 9080\n",
                "      port: 9080\n      filters: []\n",
            ),
            "HTTPRoute reviews: rules[0].backendRefs[0].filters is not supported",
        ),
        (
            BOOKINFO_GATEWAY.replace("type: Exact", "type: Regex"),
            "value Regex is not supported",
        ),
        (
            ROUTE_REVIEWS_V3.replace(
                "name: reviews-v3",
                "name: reviews-v3\n      kind: ServiceImport",
            ),
            "rules[0].backendRefs[0].kind ServiceImport is not supported",
        ),
        (
            "apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: x}\n"
                .to_owned(),
            "kind GRPCRoute (gateway.networking.k8s.io/v1) is not supported",
        ),
    ];
    for (text, expected) in cases {
        let message = refusal(&text);
        assert!(
            message.contains(expected),
            "expected {expected:?} in {message:?}"
        );
    }
}

#[test]
fn routes_for_the_same_service_merge_in_order_of_precedence() {
    let everyone_to_v1 = ROUTE_ALL_V1.split("---").next().unwrap().to_owned();
    let jason_to_v2 = service_route(
        "reviews",
        "  - matches:\n    - headers:\n      - {name: end-user, value: jason}\n    backendRefs:\n    - {name: reviews-v2, port: 9080}\n",
    )
    .replace("  name: reviews\nspec", "  name: reviews-jason\nspec");

    // The catch-all is older, yet the header match is more specific.
    let config = translate_all(&[BOOKINFO_VERSIONS, &everyone_to_v1, &jason_to_v2]);

    let routes = sidecar_routes(&config, "reviews");
    assert_eq!(routes.len(), 2, "{routes:#?}");
    assert_eq!(routes[0]["route"]["cluster"], service_cluster("reviews-v2"));
    assert_eq!(routes[1]["route"]["cluster"], service_cluster("reviews-v1"));
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn a_route_without_rules_answers_500_as_the_api_defaults_it() {
    let no_rules = service_route("reviews", "").replace("rules:\n", "rules: []\n");

    let config = translate_all(&[&no_rules]);

    let routes = sidecar_routes(&config, "reviews");
    assert_eq!(routes.len(), 1, "{routes:#?}");
    assert_eq!(routes[0]["direct_response"]["status"], 500);
}

#[test]
fn a_route_for_other_hostnames_than_the_listeners_is_not_accepted() {
    let gateway = BOOKINFO_GATEWAY.replace(
        "    port: 80\n",
        "    port: 80\n    hostname: \"*.example.com\"\n",
    );
    let elsewhere = gateway.replace(
        "spec:\n  parentRefs:\n",
        "spec:\n  hostnames: [bookinfo.other.org]\n  parentRefs:\n",
    );
    let under = gateway.replace(
        "spec:\n  parentRefs:\n",
        "spec:\n  hostnames: [bookinfo.example.com]\n  parentRefs:\n",
    );

    let refused = translate_all(&[&elsewhere]);
    let accepted = translate_all(&[&under]);

    assert!(ingress_hosts(&refused).is_empty());
    assert!(
        refused
            .warnings
            .iter()
            .any(|warning| warning.contains("no hostname used by the route")),
        "{:?}",
        refused.warnings
    );
    let hosts = ingress_hosts(&accepted);
    assert_eq!(hosts.len(), 1, "{hosts:#?}");
    assert_eq!(hosts[0]["domains"][0], "bookinfo.example.com");
}
