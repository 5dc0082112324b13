//! What is refused, with a message naming it, and what is accepted without being simulated.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mesh::istio::{self, Action, ResourceSet};

use crate::fixtures::*;

fn refusal(text: &str) -> String {
    istio::parse(text).unwrap_err().to_string()
}

#[test]
fn an_unsupported_field_is_refused_by_its_path() {
    let cors = REVIEWS_TEST_V2.replace(
        "  - route:\n    - destination:\n        host: reviews\n        subset: v1",
        "  - corsPolicy:\n      allowOrigins: [{exact: x}]\n    route:\n    - destination:\n        host: reviews\n        subset: v1",
    );

    let message = refusal(&cors);

    assert!(
        message.starts_with("VirtualService reviews: http[1].corsPolicy is not supported"),
        "{message}"
    );
}

#[test]
fn refusals_name_fields_deep_in_the_spec() {
    let cases = [
        (
            REVIEWS_TEST_V2.replace(
                "exact: jason\n    route",
                "exact: jason\n      sourceNamespace: default\n    route",
            ),
            "http[0].match[0].sourceNamespace is not supported",
        ),
        (
            REVIEWS_CIRCUIT_BREAKER.replace(
                "maxConnections: 1",
                "maxConnections: 1\n        tcpKeepalive: {time: 7200s}",
            ),
            "trafficPolicy.connectionPool.tcp.tcpKeepalive is not supported",
        ),
        (
            DESTINATION_RULE_ALL.replace(
                "host: productpage\n  subsets",
                "host: productpage\n  trafficPolicy:\n    tls:\n      mode: MUTUAL\n  subsets",
            ),
            "trafficPolicy.tls.mode value MUTUAL is not supported",
        ),
        (
            REVIEWS_50_V3.replace(
                "weight: 50\n    - destination",
                "weight: 60\n    - destination",
            ),
            "http[0].route total destination weight 110 != 100",
        ),
        (
            GATEWAY.replace("protocol: HTTP", "protocol: TCP"),
            "servers[0].port.protocol TCP is not supported (HTTP, HTTPS or TLS)",
        ),
        (
            GATEWAY.replace("protocol: HTTP", "protocol: HTTPS"),
            "servers[0].port.number 8080 is not served by the local ingress for HTTPS (8443, or 443",
        ),
        (
            GATEWAY
                .replace("number: 8080", "number: 443")
                .replace("protocol: HTTP", "protocol: HTTPS"),
            "servers[0].tls is required for HTTPS",
        ),
        (
            GATEWAY
                .replace("number: 8080", "number: 443")
                .replace("protocol: HTTP", "protocol: HTTPS\n    tls: {mode: SIMPLE}"),
            "servers[0].tls.credentialName is required",
        ),
        (
            GATEWAY.replace("number: 8080", "number: 443").replace(
                "protocol: HTTP",
                "protocol: TLS\n    tls: {mode: SIMPLE, credentialName: c}",
            ),
            "servers[0].tls.mode must be PASSTHROUGH for protocol TLS",
        ),
        (
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: nginx}\n\
             spec:\n  hosts: [nginx.example.com]\n  tls:\n  - match: [{port: 443}]\n    \
             route: [{destination: {host: my-nginx}}]\n"
                .to_owned(),
            "tls[0].match[0].sniHosts",
        ),
        (
            RATINGS_TEST_ABORT.replace("httpStatus: 500", "grpcStatus: UNAVAILABLE"),
            "http[0].fault.abort.grpcStatus is not supported",
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
fn other_kinds_are_refused_by_name() {
    let sidecar =
        "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: default\nspec: {}\n";

    let message = refusal(&format!("{ALL_V1}---\n{sidecar}"));

    assert!(message.contains("document 5: kind Sidecar"), "{message}");
}

#[test]
fn istio_mutual_tls_is_accepted() {
    let mtls = DESTINATION_RULE_ALL.replace(
        "host: reviews\n  subsets",
        "host: reviews\n  trafficPolicy:\n    tls:\n      mode: ISTIO_MUTUAL\n  subsets",
    );

    assert!(istio::parse(&mtls).is_ok());
}

#[test]
fn every_served_api_version_is_read() {
    for version in ["v1", "v1beta1", "v1alpha3"] {
        let text = ALL_V1.replace(
            "networking.istio.io/v1\n",
            &format!("networking.istio.io/{version}\n"),
        );
        assert_eq!(istio::parse(&text).unwrap().len(), 4, "{version}");
    }
    assert!(
        refusal(&ALL_V1.replace("networking.istio.io/v1\n", "networking.istio.io/v2\n"))
            .contains("not served")
    );
}

#[test]
fn deleting_what_is_not_there_is_reported_not_refused() {
    let mut set = ResourceSet::new();

    let changes = set.delete(istio::parse_keys(ALL_V1).unwrap());

    assert!(
        changes
            .iter()
            .all(|change| change.action == Action::NotFound)
    );
    assert_eq!(
        changes[0].to_string(),
        "virtualservice.networking.istio.io/productpage not found"
    );
}
