//! ServiceEntries: read and checked as Istio reads them, and listed as `kubectl get se` lists
//! them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mesh::istio::{self, Kind, ResourceKey};
use mesh::{GetRequest, Namespaces, OutputFormat};

use crate::helpers::*;

/// `networking/egress-rule-google-apis.yaml`'s ServiceEntry.
pub const GOOGLEAPIS: &str = "
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: googleapis
spec:
  hosts:
  - www.googleapis.com
  location: MESH_EXTERNAL
  ports:
  - number: 80
    name: http
    protocol: HTTP
  - number: 443
    name: https
    protocol: HTTPS
  resolution: DNS
";

#[test]
fn the_google_apis_entry_is_listed_as_kubectl_get_serviceentry_lists_it() {
    let resources = resources(&[GOOGLEAPIS]);
    let key = ResourceKey {
        kind: Kind::ServiceEntry,
        namespace: "default".into(),
        name: "googleapis".into(),
    };
    for typed in [
        "serviceentry",
        "serviceentries",
        "se",
        "serviceentry.networking.istio.io",
    ] {
        let request = GetRequest {
            kind: typed,
            name: None,
            namespaces: Namespaces::default(),
            format: OutputFormat::Table,
            ingress: [127, 0, 0, 1].into(),
            now: resources.created_at(&key).unwrap() + 5,
        };
        assert_eq!(
            mesh::get(&bookinfo(), &resources, &request).unwrap(),
            "NAME         HOSTS                    LOCATION        RESOLUTION   AGE\n\
             googleapis   [\"www.googleapis.com\"]   MESH_EXTERNAL   DNS          5s\n",
            "{typed}"
        );
    }
}

#[test]
fn service_entries_are_checked_as_istios_webhook_checks_them() {
    let cases = [
        (
            GOOGLEAPIS.replace("  hosts:\n  - www.googleapis.com\n", ""),
            "hosts is required",
        ),
        (
            GOOGLEAPIS.replace("www.googleapis.com", "'*.googleapis.com'"),
            "hosts[0] a wildcard host cannot be resolved by DNS without endpoints",
        ),
        (
            GOOGLEAPIS.replace("number: 80\n", "number: 70000\n"),
            "ports[0].number 70000 is not a port",
        ),
        (
            GOOGLEAPIS.replace("name: https", "name: http"),
            "ports[1].name http is used twice",
        ),
        (
            GOOGLEAPIS.replace("resolution: DNS", "resolution: STATIC"),
            "endpoints are required with resolution STATIC",
        ),
        (
            GOOGLEAPIS.replace(
                "resolution: DNS",
                "resolution: STATIC\n  endpoints:\n  - address: example.com",
            ),
            "endpoints[0].address example.com is not an IP address",
        ),
        (
            GOOGLEAPIS.replace(
                "resolution: DNS",
                "resolution: NONE\n  endpoints:\n  - address: 10.0.0.1",
            ),
            "endpoints must be empty with resolution NONE",
        ),
        (
            GOOGLEAPIS.replace(
                "resolution: DNS",
                "resolution: DNS\n  workloadSelector: {labels: {app: x}}",
            ),
            "workloadSelector is not supported",
        ),
        (
            GOOGLEAPIS.replace("resolution: DNS", "resolution: DNS_ROUND_ROBIN"),
            "resolution value DNS_ROUND_ROBIN is not supported",
        ),
    ];
    for (text, expected) in cases {
        let message = istio::parse(&text).unwrap_err().to_string();
        assert!(
            message.contains(&format!("ServiceEntry googleapis: {expected}")),
            "expected {expected:?} in {message:?}"
        );
    }
}

#[test]
fn entries_become_clusters_with_tls_originated_where_a_destination_rule_says_simple() {
    let static_entry = "
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: books}
spec:
  hosts: [books.example.com]
  location: MESH_EXTERNAL
  ports:
  - {number: 443, name: https, protocol: HTTPS}
  resolution: STATIC
  endpoints:
  - address: 10.0.0.1
    ports: {https: 8443}
  - address: 10.0.0.2
";
    let origination = "
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: books}
spec:
  host: books.example.com
  trafficPolicy:
    tls: {mode: SIMPLE, sni: api.example.com}
";
    let config = translate_all(&[GOOGLEAPIS, static_entry, origination]);

    let books = cluster(&config, "outbound|443||books.example.com");
    assert_eq!(books["type"], "STATIC");
    assert_eq!(endpoints(books), ["10.0.0.1:8443", "10.0.0.2:443"]);
    let tls = &books["transport_socket"]["typed_config"];
    assert_eq!(tls["sni"], "api.example.com");
    assert_eq!(
        tls["common_tls_context"]["validation_context"]["match_typed_subject_alt_names"][0]["matcher"]
            ["exact"],
        "api.example.com"
    );
    // DNS, and no DestinationRule for Google here: the host by name, in plain TCP.
    let google = cluster(&config, "outbound|80||www.googleapis.com");
    assert_eq!(google["type"], "STRICT_DNS");
    assert!(google.get("transport_socket").is_none(), "{google}");
    assert!(
        config
            .warnings
            .iter()
            .all(|warning| !warning.contains("books.example.com")),
        "{:?}",
        config.warnings
    );
}
