//! The ingress: nothing routes until a Gateway and a VirtualService bound to it say so.

use serde_json::json;

use crate::fixtures::*;
use crate::helpers::*;

#[test]
fn without_a_gateway_the_ingress_has_no_virtual_host_so_envoy_answers_404() {
    let config = translate_all(&[DESTINATION_RULE_ALL, ALL_V1]);

    assert!(ingress_hosts(&config).is_empty());
}

#[test]
fn a_gateway_alone_routes_nothing() {
    let gateway_only = GATEWAY.split("---").next().unwrap();

    let config = translate_all(&[gateway_only]);

    assert!(ingress_hosts(&config).is_empty());
}

#[test]
fn the_bookinfo_gateway_exposes_its_five_paths_on_every_host() {
    let config = translate_all(&[GATEWAY]);

    let hosts = ingress_hosts(&config);

    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0]["domains"], json!(["*"]));
    let routes = hosts[0]["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 5);
    for route in routes {
        assert_eq!(
            route["route"]["cluster"],
            "outbound|9080||productpage.default.svc.cluster.local"
        );
    }
    assert_eq!(
        sidecar_routes(&config, "productpage")[0]["name"],
        "default",
        "a VirtualService bound to a gateway does not touch the sidecars"
    );
}

#[test]
fn a_gateway_server_on_port_80_reaches_the_ingress_as_through_the_ingress_service() {
    let old_gateway = GATEWAY.replace("number: 8080", "number: 80");

    let config = translate_all(&[&old_gateway]);

    assert_eq!(
        ingress_hosts(&config)[0]["routes"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

#[test]
fn a_virtual_service_bound_to_a_missing_gateway_is_reported() {
    let virtual_service = GATEWAY.split("---").nth(1).unwrap();

    let config = translate_all(&[virtual_service]);

    assert!(ingress_hosts(&config).is_empty());
    assert!(
        config
            .warnings
            .iter()
            .any(|warning| warning.contains("gateway default/bookinfo-gateway does not exist")),
        "{:?}",
        config.warnings
    );
}

#[test]
fn gateway_hosts_limit_the_virtual_hosts_to_the_hosts_both_name() {
    let gateway = GATEWAY.replace(
        "    hosts:\n    - \"*\"\n---",
        "    hosts:\n    - \"bookinfo.example.com\"\n---",
    );

    let config = translate_all(&[&gateway]);

    let hosts = ingress_hosts(&config);
    assert_eq!(hosts.len(), 1);
    assert_eq!(
        hosts[0]["domains"],
        json!(["bookinfo.example.com", "bookinfo.example.com:*"])
    );
}

#[test]
fn a_wildcard_gateway_host_keeps_the_server_port_as_envoy_allows_one_wildcard() {
    let gateway = GATEWAY.replace(
        "    hosts:\n    - \"*\"\n---",
        "    hosts:\n    - \"*.example.com\"\n---",
    );

    let config = translate_all(&[&gateway]);

    assert_eq!(
        ingress_hosts(&config)[0]["domains"],
        json!(["*.example.com", "*.example.com:8080"])
    );
}

#[test]
fn catch_all_routes_of_merged_virtual_services_move_last() {
    let catch_all = r#"
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: everything-else
spec:
  hosts: ["*"]
  gateways: [bookinfo-gateway]
  http:
  - route:
    - destination: {host: details}
"#;

    let config = translate_all(&[catch_all, GATEWAY]);

    let routes = ingress_hosts(&config)[0]["routes"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(routes.len(), 6);
    assert_eq!(routes[5]["match"], json!({"prefix": "/"}));
    assert_eq!(routes[0]["match"]["path"], "/productpage");
}
