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

#[test]
fn a_passthrough_server_routes_its_sni_hosts_to_a_tcp_proxy_and_terminates_nothing() {
    let gateway = "
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: mygateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: tls, protocol: TLS}
    tls: {mode: PASSTHROUGH}
    hosts: ['*.example.com']
";
    let virtual_service = "
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: nginx}
spec:
  hosts: [nginx.example.com]
  gateways: [mygateway]
  tls:
  - match: [{port: 443, sniHosts: [nginx.example.com]}]
    route:
    - destination: {host: productpage}
      weight: 80
    - destination: {host: details}
      weight: 20
";
    let config = translate_all(&[gateway, virtual_service]);
    let layout = mesh::Layout::in_dir(std::path::Path::new("/tmp/unused"));
    let listeners = config.listener_resources(&layout);
    let https = listeners
        .iter()
        .find(|listener| listener["name"] == "0.0.0.0_8443")
        .unwrap();

    let chains = https["filter_chains"].as_array().unwrap();
    assert_eq!(chains.len(), 1, "{https}");
    assert_eq!(
        chains[0]["filter_chain_match"]["server_names"],
        json!(["nginx.example.com"])
    );
    assert!(chains[0].get("transport_socket").is_none(), "{}", chains[0]);
    let proxy = &chains[0]["filters"][0]["typed_config"];
    assert_eq!(
        proxy["weighted_clusters"]["clusters"],
        json!([
            {"name": "outbound|9080||productpage.default.svc.cluster.local", "weight": 80},
            {"name": "outbound|9080||details.default.svc.cluster.local", "weight": 20},
        ])
    );
    let https_routes = config.route_config("https.443").unwrap();
    assert_eq!(https_routes["virtual_hosts"], json!([]));
}

#[test]
fn tls_routes_on_the_sidecars_are_reported_as_ignored() {
    let on_the_mesh = "
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: details-tls}
spec:
  hosts: [details]
  tls:
  - match: [{sniHosts: [details]}]
    route: [{destination: {host: details}}]
";
    let config = translate_all(&[on_the_mesh]);

    assert!(
        config.warnings.iter().any(|warning| warning.contains(
            "VirtualService details-tls: tls routes apply to PASSTHROUGH gateway servers only"
        )),
        "{:?}",
        config.warnings
    );
}
