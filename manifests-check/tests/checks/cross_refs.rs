//! References between objects, in the spirit of `istioctl analyze`: routes point at services
//! that exist, subsets are defined and select pods, gateways exist, ports are named for
//! Istio's protocol selection, and pods run as service accounts that exist.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::support::{Manifest, all_manifests, manifests_of_kind, pod_spec};

/// Hosts outside Bookinfo that routes may name, and why they are fine.
const OUTSIDE_HOSTS: &[(&str, &str)] = &[(
    "cert-manager-resolver",
    "cert-manager's ACME HTTP-01 solver Service in istio-system (certmanager-gateway.yaml)",
)];

fn services() -> BTreeMap<&'static str, Vec<&'static Manifest>> {
    let mut services: BTreeMap<&str, Vec<&Manifest>> = BTreeMap::new();
    for service in manifests_of_kind("v1", "Service") {
        services.entry(service.name()).or_default().push(service);
    }
    services
}

fn service_entry_hosts() -> BTreeSet<&'static str> {
    manifests_of_kind("networking.istio.io/v1", "ServiceEntry")
        .flat_map(|entry| strings(&entry.spec()["hosts"]))
        .collect()
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

fn is_known_host(host: &str) -> bool {
    services().contains_key(host)
        || service_entry_hosts().contains(host)
        || OUTSIDE_HOSTS.iter().any(|(outside, _)| *outside == host)
}

/// Every `destination` in a VirtualService's http, tcp and tls routes.
fn destinations(virtual_service: &Manifest) -> Vec<&Value> {
    ["http", "tcp", "tls"]
        .iter()
        .flat_map(|protocol| {
            virtual_service.spec()[*protocol]
                .as_array()
                .into_iter()
                .flatten()
        })
        .flat_map(|rule| rule["route"].as_array().into_iter().flatten())
        .map(|route| &route["destination"])
        .collect()
}

fn virtual_services() -> impl Iterator<Item = &'static Manifest> {
    manifests_of_kind("networking.istio.io/v1", "VirtualService")
}

fn destination_rules() -> impl Iterator<Item = &'static Manifest> {
    manifests_of_kind("networking.istio.io/v1", "DestinationRule")
}

/// Pod template labels of every Deployment.
fn pod_labels() -> Vec<(&'static Manifest, &'static Value)> {
    manifests_of_kind("apps/v1", "Deployment")
        .map(|deployment| {
            (
                deployment,
                &deployment.value["spec"]["template"]["metadata"]["labels"],
            )
        })
        .collect()
}

fn selects(selector: &serde_json::Map<String, Value>, labels: &Value) -> bool {
    selector
        .iter()
        .all(|(key, value)| labels.get(key) == Some(value))
}

#[test]
fn every_virtual_service_host_and_destination_is_a_bookinfo_service() {
    let mut problems = Vec::new();
    for vs in virtual_services() {
        let bound_to_gateway = vs.spec().get("gateways").is_some();
        for host in strings(&vs.spec()["hosts"]) {
            let open_to_any_host = bound_to_gateway && host == "*";
            if !open_to_any_host && !is_known_host(host) {
                problems.push(format!("{}: host {host} is no Service", vs.id()));
            }
        }
        for destination in destinations(vs) {
            let host = destination["host"].as_str().unwrap_or_default();
            if !is_known_host(host) {
                problems.push(format!("{}: destination {host} is no Service", vs.id()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_destination_rule_host_is_a_bookinfo_service() {
    let problems: Vec<String> = destination_rules()
        .filter(|dr| !is_known_host(dr.spec()["host"].as_str().unwrap_or_default()))
        .map(Manifest::id)
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
}

fn subsets_defined_in(file: &str, host: &str) -> Option<BTreeSet<&'static str>> {
    let rules: Vec<&Manifest> = destination_rules()
        .filter(|dr| dr.file == file && dr.spec()["host"] == host)
        .collect();
    if rules.is_empty() {
        return None;
    }
    Some(
        rules
            .iter()
            .flat_map(|dr| dr.spec()["subsets"].as_array().into_iter().flatten())
            .filter_map(|subset| subset["name"].as_str())
            .collect(),
    )
}

#[test]
fn every_subset_a_virtual_service_uses_is_defined_in_the_destination_rules() {
    // A file that carries its own DestinationRule for a host is applied on its own; every
    // other route relies on destination-rule-all.yaml or its mTLS twin, whichever is applied.
    const SHARED: [&str; 2] = [
        "networking/destination-rule-all.yaml",
        "networking/destination-rule-all-mtls.yaml",
    ];
    let mut problems = Vec::new();
    let mut checked = 0;
    for vs in virtual_services() {
        for destination in destinations(vs) {
            let Some(subset) = destination["subset"].as_str() else {
                continue;
            };
            checked += 1;
            let host = destination["host"].as_str().unwrap_or_default();
            let sources: Vec<&str> = match subsets_defined_in(&vs.file, host) {
                Some(_) => vec![vs.file.as_str()],
                None => SHARED.to_vec(),
            };
            for source in sources {
                let defined = subsets_defined_in(source, host).unwrap_or_default();
                if !defined.contains(subset) {
                    problems.push(format!(
                        "{}: subset {host}/{subset} not defined in {source}",
                        vs.id()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked > 20, "only {checked} subsets checked");
}

#[test]
fn every_destination_rule_subset_selects_some_deployments_pods() {
    let services = services();
    let pods = pod_labels();
    let mut problems = Vec::new();
    for dr in destination_rules() {
        let host = dr.spec()["host"].as_str().unwrap_or_default();
        for subset in dr.spec()["subsets"].as_array().into_iter().flatten() {
            let mut selector = serde_json::Map::new();
            let service_selector = services
                .get(host)
                .and_then(|s| s.first())
                .and_then(|service| service.spec()["selector"].as_object());
            if let Some(service_selector) = service_selector {
                selector.extend(service_selector.clone());
            }
            if let Some(labels) = subset["labels"].as_object() {
                selector.extend(labels.clone());
            }
            if !pods.iter().any(|(_, labels)| selects(&selector, labels)) {
                problems.push(format!(
                    "{}: subset {} ({selector:?}) selects no pods",
                    dr.id(),
                    subset["name"]
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_service_selects_some_deployments_pods() {
    let pods = pod_labels();
    let problems: Vec<String> = manifests_of_kind("v1", "Service")
        .filter(|service| {
            let selector = service.spec()["selector"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            selector.is_empty() || !pods.iter().any(|(_, labels)| selects(&selector, labels))
        })
        .map(Manifest::id)
        .collect();
    assert!(problems.is_empty(), "select no pods: {problems:?}");
}

#[test]
fn every_gateway_a_virtual_service_names_exists() {
    let gateways: BTreeSet<(String, String)> =
        manifests_of_kind("networking.istio.io/v1", "Gateway")
            .map(|g| {
                (
                    g.namespace().unwrap_or("default").to_string(),
                    g.name().to_string(),
                )
            })
            .collect();
    let mut problems = Vec::new();
    let mut checked = 0;
    for vs in virtual_services() {
        let namespace = vs.namespace().unwrap_or("default");
        for gateway in strings(&vs.spec()["gateways"]) {
            if gateway == "mesh" {
                continue;
            }
            checked += 1;
            let (ns, name) = gateway.split_once('/').unwrap_or((namespace, gateway));
            if !gateways.contains(&(ns.to_string(), name.to_string())) {
                problems.push(format!("{}: gateway {gateway} does not exist", vs.id()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked >= 2);
}

/// Istio's protocol selection by port name: `<protocol>` or `<protocol>-<suffix>`.
const ISTIO_PROTOCOLS: [&str; 11] = [
    "http", "http2", "https", "grpc", "grpc-web", "mongo", "mysql", "redis", "tcp", "tls", "udp",
];

#[test]
fn every_service_port_is_named_for_istio_protocol_selection() {
    let mut problems = Vec::new();
    for service in manifests_of_kind("v1", "Service") {
        for port in service.spec()["ports"].as_array().into_iter().flatten() {
            let name = port["name"].as_str().unwrap_or_default();
            let named = ISTIO_PROTOCOLS
                .iter()
                .any(|protocol| name == *protocol || name.starts_with(&format!("{protocol}-")));
            if !named && port.get("appProtocol").is_none() {
                problems.push(format!(
                    "{}: port {} is named {name:?}",
                    service.id(),
                    port["port"]
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_bookinfo_service_port_is_9080_named_http() {
    let mut problems = Vec::new();
    for service in manifests_of_kind("v1", "Service") {
        let app = service.str_at("/spec/selector/app");
        if !crate::support::SERVICES.contains(&app) {
            continue;
        }
        let ports = service.spec()["ports"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if ports.len() != 1 || ports[0]["port"] != 9080 || ports[0]["name"] != "http" {
            problems.push(service.id());
        }
    }
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn every_deployment_runs_as_a_service_account_defined_in_its_own_file() {
    let mut problems = Vec::new();
    for deployment in manifests_of_kind("apps/v1", "Deployment") {
        let Some(account) = pod_spec(deployment)["serviceAccountName"].as_str() else {
            if crate::support::SERVICES.contains(&crate::support::app_label(deployment)) {
                problems.push(format!("{}: no serviceAccountName", deployment.id()));
            }
            continue;
        };
        let defined = all_manifests().iter().any(|m| {
            m.file == deployment.file && m.is("v1", "ServiceAccount") && m.name() == account
        });
        if !defined {
            problems.push(format!(
                "{}: ServiceAccount {account} not in the file",
                deployment.id()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_httproute_attaches_to_an_existing_parent_and_sends_to_existing_services() {
    let gateways: BTreeSet<&str> = manifests_of_kind("gateway.networking.k8s.io/v1", "Gateway")
        .map(Manifest::name)
        .collect();
    let services = services();
    let mut problems = Vec::new();
    for route in manifests_of_kind("gateway.networking.k8s.io/v1", "HTTPRoute") {
        for parent in route.spec()["parentRefs"].as_array().into_iter().flatten() {
            let name = parent["name"].as_str().unwrap_or_default();
            let exists = match parent["kind"].as_str() {
                Some("Service") => parent["group"] == "" && services.contains_key(name),
                None | Some("Gateway") => gateways.contains(name),
                Some(_) => false,
            };
            if !exists {
                problems.push(format!("{}: parent {parent} does not exist", route.id()));
            }
        }
        for rule in route.spec()["rules"].as_array().into_iter().flatten() {
            for backend in rule["backendRefs"].as_array().into_iter().flatten() {
                let name = backend["name"].as_str().unwrap_or_default();
                let port_exists = services.get(name).is_some_and(|found| {
                    found.iter().all(|s| {
                        s.spec()["ports"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|p| p["port"] == backend["port"])
                    })
                });
                if !port_exists {
                    problems.push(format!(
                        "{}: backend {name}:{} does not exist",
                        route.id(),
                        backend["port"]
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_ingress_backend_is_a_bookinfo_service_port() {
    let services = services();
    let mut problems = Vec::new();
    for ingress in manifests_of_kind("networking.k8s.io/v1", "Ingress") {
        for rule in ingress.spec()["rules"].as_array().into_iter().flatten() {
            for path in rule["http"]["paths"].as_array().into_iter().flatten() {
                let backend = &path["backend"]["service"];
                let name = backend["name"].as_str().unwrap_or_default();
                let ok = services.get(name).is_some_and(|found| {
                    found.iter().all(|s| {
                        s.spec()["ports"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|p| p["port"] == backend["port"]["number"])
                    })
                });
                if !ok {
                    problems.push(format!("{}: {path}", ingress.id()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The five paths upstream exposes, as (match type, path).
const EXPOSED: [(&str, &str); 5] = [
    ("exact", "/productpage"),
    ("prefix", "/static"),
    ("exact", "/login"),
    ("exact", "/logout"),
    ("prefix", "/api/v1/products"),
];

#[test]
fn the_ingress_routes_expose_upstreams_five_paths_to_productpage() {
    let vs = virtual_services()
        .find(|vs| vs.name() == "bookinfo")
        .expect("VirtualService bookinfo");
    assert_eq!(vs.file, "networking/bookinfo-gateway.yaml");
    let matches: Vec<(String, String)> = vs.spec()["http"][0]["match"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| {
            m["uri"]
                .as_object()?
                .iter()
                .next()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        })
        .collect();
    let expected: Vec<(String, String)> = EXPOSED
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(matches, expected);
    assert_eq!(
        vs.spec()["http"][0]["route"][0]["destination"]["host"],
        "productpage"
    );

    let route = manifests_of_kind("gateway.networking.k8s.io/v1", "HTTPRoute")
        .find(|r| r.name() == "bookinfo")
        .expect("HTTPRoute bookinfo");
    let paths: Vec<(String, String)> = route.spec()["rules"][0]["matches"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let kind = match m["path"]["type"].as_str() {
                Some("Exact") => "exact",
                Some("PathPrefix") => "prefix",
                other => panic!("unexpected path type {other:?}"),
            };
            (
                kind.to_string(),
                m["path"]["value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(paths, expected);

    let gateway = manifests_of_kind("networking.istio.io/v1", "Gateway")
        .find(|g| g.name() == "bookinfo-gateway")
        .expect("Gateway bookinfo-gateway");
    assert_eq!(gateway.spec()["servers"][0]["port"]["number"], 8080);
    assert_eq!(gateway.spec()["selector"]["istio"], "ingressgateway");
}

/// istiod's validating webhook (not the CRD schema) rejects a split whose weights do not add up
/// to 100; a route with one destination may leave its weight out.
#[test]
fn every_weighted_virtual_service_route_adds_up_to_100() {
    let mut splits = 0;
    for vs in virtual_services() {
        for rule in vs.spec()["http"].as_array().into_iter().flatten() {
            let routes = rule["route"].as_array().cloned().unwrap_or_default();
            if routes.len() < 2 {
                continue;
            }
            splits += 1;
            let total: u64 = routes
                .iter()
                .map(|r| r["weight"].as_u64().unwrap_or(0))
                .sum();
            assert_eq!(total, 100, "{}: weights add up to {total}", vs.id());
        }
    }
    assert_eq!(splits, 4, "the four traffic-shifting files");
}
