//! `get`: kubectl's columns and the status Istio writes, for the resources in force.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mesh::istio::{Kind, ResourceKey, ResourceSet};
use mesh::{GetRequest, Namespaces, OutputFormat};

use crate::fixtures::*;
use crate::gateway_api_fixtures::*;
use crate::helpers::*;

/// `get` 42 seconds after `key` was created, in `default`.
fn get_at_42s(
    resources: &ResourceSet,
    key: &ResourceKey,
    kind: &str,
    name: Option<&str>,
    format: OutputFormat,
) -> Result<String, mesh::GetError> {
    get_in_at_42s(resources, key, kind, name, Namespaces::default(), format)
}

/// `get -n NAMESPACE` or `get -A`, 42 seconds after `key` was created.
fn get_in_at_42s(
    resources: &ResourceSet,
    key: &ResourceKey,
    kind: &str,
    name: Option<&str>,
    namespaces: Namespaces,
    format: OutputFormat,
) -> Result<String, mesh::GetError> {
    let request = GetRequest {
        kind,
        name,
        namespaces,
        format,
        ingress: [127, 0, 0, 1].into(),
        now: resources.created_at(key).unwrap() + 42,
    };
    mesh::get(&bookinfo(), resources, &request)
}

/// `get httproute reviews -o yaml`.
fn reviews_route_yaml(resources: &ResourceSet) -> String {
    let route = key(Kind::HttpRoute, "reviews");
    get_at_42s(
        resources,
        &route,
        "httproute",
        Some("reviews"),
        OutputFormat::Yaml,
    )
    .unwrap()
}

fn key(kind: Kind, name: &str) -> ResourceKey {
    ResourceKey {
        kind,
        namespace: "default".into(),
        name: name.into(),
    }
}

#[test]
fn get_gateway_shows_class_address_and_programmed() {
    let resources = resources(&[BOOKINFO_GATEWAY]);
    let gateway = key(Kind::KubernetesGateway, "bookinfo-gateway");

    let listed = get_at_42s(&resources, &gateway, "gateway", None, OutputFormat::Table).unwrap();

    assert_eq!(
        listed,
        "NAME               CLASS   ADDRESS     PROGRAMMED   AGE\n\
         bookinfo-gateway   istio   127.0.0.1   True         42s\n"
    );
    let yaml = get_at_42s(
        &resources,
        &gateway,
        "gtw",
        Some("bookinfo-gateway"),
        OutputFormat::Yaml,
    )
    .unwrap();
    for expected in [
        "kind: Gateway",
        "type: Programmed",
        "attachedRoutes: 1",
        "value: 127.0.0.1",
    ] {
        assert!(yaml.contains(expected), "{expected:?} in\n{yaml}");
    }
}

#[test]
fn an_accepted_route_says_so_as_the_request_routing_task_checks() {
    let resources = resources(&[BOOKINFO_VERSIONS, ROUTE_REVIEWS_V3]);
    let route = key(Kind::HttpRoute, "reviews");

    let yaml = reviews_route_yaml(&resources);

    for expected in [
        "message: Route was valid",
        "reason: Accepted",
        "message: All references resolved",
        "controllerName: istio.io/gateway-controller",
        "name: reviews-v3",
    ] {
        assert!(yaml.contains(expected), "{expected:?} in\n{yaml}");
    }
    let listed = get_at_42s(&resources, &route, "httproutes", None, OutputFormat::Table).unwrap();
    assert_eq!(
        listed,
        "NAME      HOSTNAMES   AGE\nreviews               42s\n"
    );
}

#[test]
fn a_route_to_a_missing_service_has_unresolved_refs() {
    let resources = resources(&[ROUTE_REVIEWS_V3]);

    let yaml = reviews_route_yaml(&resources);

    assert!(yaml.contains("reason: BackendNotFound"), "{yaml}");
    assert!(
        yaml.contains("backend(reviews-v3.default.svc.cluster.local) not found"),
        "{yaml}"
    );
}

#[test]
fn services_list_the_meshs_own_and_the_applied_versions() {
    let resources = resources(&[BOOKINFO_VERSIONS]);
    let reviews_v1 = key(Kind::Service, "reviews-v1");

    let listed = get_at_42s(&resources, &reviews_v1, "svc", None, OutputFormat::Table).unwrap();

    let names: Vec<&str> = listed
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "details",
            "details-v1",
            "productpage",
            "productpage-v1",
            "ratings",
            "ratings-v1",
            "reviews",
            "reviews-v1",
            "reviews-v2",
            "reviews-v3",
        ]
    );
    assert!(listed.starts_with("NAME "), "{listed}");
    assert!(listed.contains("9080/TCP"), "{listed}");
}

#[test]
fn istio_kinds_list_with_their_columns() {
    let resources = resources(&[GATEWAY, DESTINATION_RULE_ALL]);
    let bookinfo = key(Kind::VirtualService, "bookinfo");

    let listed = get_at_42s(
        &resources,
        &bookinfo,
        "virtualservices",
        None,
        OutputFormat::Table,
    )
    .unwrap();

    assert_eq!(
        listed,
        "NAME       GATEWAYS               HOSTS   AGE\n\
         bookinfo   [\"bookinfo-gateway\"]   [\"*\"]   42s\n"
    );
    let rules = get_at_42s(&resources, &bookinfo, "dr", None, OutputFormat::Yaml).unwrap();
    assert!(rules.starts_with("apiVersion: v1\nitems:\n"), "{rules}");
    assert_eq!(rules.matches("kind: DestinationRule").count(), 4, "{rules}");
}

#[test]
fn unknown_types_and_names_are_reported_as_kubectl_reports_them() {
    let resources = resources(&[BOOKINFO_GATEWAY]);
    let gateway = key(Kind::KubernetesGateway, "bookinfo-gateway");

    let unknown = get_at_42s(&resources, &gateway, "pods", None, OutputFormat::Table);
    let missing = get_at_42s(
        &resources,
        &gateway,
        "httproute",
        Some("x"),
        OutputFormat::Table,
    );
    let none = get_at_42s(&resources, &gateway, "vs", None, OutputFormat::Table);

    assert_eq!(
        unknown.unwrap_err().to_string(),
        "the server doesn't have a resource type \"pods\""
    );
    assert_eq!(
        missing.unwrap_err().to_string(),
        "httproutes.gateway.networking.k8s.io \"x\" not found"
    );
    assert_eq!(none.unwrap(), "No resources found in default namespace.\n");
}

#[test]
fn a_backend_in_another_namespace_is_not_permitted_without_a_reference_grant() {
    let elsewhere = ROUTE_REVIEWS_V3.replace(
        "    - name: reviews-v3\n",
        "    - name: reviews-v3\n      namespace: shop\n",
    );
    let resources = resources(&[BOOKINFO_VERSIONS, &elsewhere]);

    let yaml = reviews_route_yaml(&resources);
    let config = mesh::translate(&bookinfo(), &resources).unwrap();

    assert!(yaml.contains("reason: RefNotPermitted"), "{yaml}");
    assert_eq!(
        sidecar_routes(&config, "reviews")[0]["direct_response"]["status"],
        500
    );
}

#[test]
fn a_cluster_ip_gateway_is_addressed_by_its_service_name() {
    let annotated = BOOKINFO_GATEWAY.replacen(
        "  name: bookinfo-gateway\n",
        "  name: bookinfo-gateway\n  annotations:\n    networking.istio.io/service-type: ClusterIP\n",
        1,
    );
    let resources = resources(&[&annotated]);
    let gateway = key(Kind::KubernetesGateway, "bookinfo-gateway");

    let listed = get_at_42s(&resources, &gateway, "gateway", None, OutputFormat::Table).unwrap();

    // As istio.io's Getting Started shows it after `kubectl annotate`.
    assert_eq!(
        listed,
        "NAME               CLASS   ADDRESS                                            PROGRAMMED   AGE\n\
         bookinfo-gateway   istio   bookinfo-gateway-istio.default.svc.cluster.local   True         42s\n"
    );
}

#[test]
fn annotating_a_gateway_configures_it() {
    let mut set = ResourceSet::new();
    set.apply(mesh::istio::parse(BOOKINFO_GATEWAY).unwrap());
    let annotated = BOOKINFO_GATEWAY.replacen(
        "  name: bookinfo-gateway\n",
        "  name: bookinfo-gateway\n  annotations: {networking.istio.io/service-type: ClusterIP}\n",
        1,
    );

    let changes = set.apply(mesh::istio::parse(&annotated).unwrap());

    assert_eq!(
        changes[0].to_string(),
        "gateway.gateway.networking.k8s.io/bookinfo-gateway configured"
    );
    assert_eq!(
        changes[1].to_string(),
        "httproute.gateway.networking.k8s.io/bookinfo unchanged"
    );
}

/// What `kubectl create secret tls bookinfo-credential --key k --cert c --dry-run=client -o yaml`
/// prints (the data shortened, but real base64: "CERT" and "KEY").
const TLS_SECRET: &str = "
apiVersion: v1
data:
  tls.crt: Q0VSVA==
  tls.key: S0VZ
kind: Secret
metadata:
  creationTimestamp: null
  name: bookinfo-credential
type: kubernetes.io/tls
";

#[test]
fn secrets_list_names_and_types_and_never_their_data() {
    let generic = "
apiVersion: v1
kind: Secret
metadata: {name: client-credential}
stringData: {key: KEY, cert: CERT, cacert: CA}
";
    let resources = resources(&[TLS_SECRET, generic]);
    let credential = key(Kind::Secret, "bookinfo-credential");

    let listed = get_at_42s(
        &resources,
        &credential,
        "secrets",
        None,
        OutputFormat::Table,
    )
    .unwrap();
    assert_eq!(
        listed,
        "NAME                  TYPE                DATA   AGE\n\
         bookinfo-credential   kubernetes.io/tls   2      42s\n\
         client-credential     Opaque              3      42s\n"
    );
    let yaml = get_at_42s(
        &resources,
        &credential,
        "secret",
        Some("bookinfo-credential"),
        OutputFormat::Yaml,
    )
    .unwrap();
    assert!(yaml.contains("type: kubernetes.io/tls"), "{yaml}");
    for data in ["Q0VSVA", "S0VZ", "tls.key", "KEY"] {
        assert!(!yaml.contains(data), "{data} in {yaml}");
    }
    let restored = ResourceSet::from_json(&resources.to_json()).unwrap();
    let credential = restored
        .secret("default", "bookinfo-credential")
        .unwrap()
        .credential()
        .unwrap();
    assert_eq!(
        (
            credential.certificate_chain.as_str(),
            credential.private_key.as_str()
        ),
        ("CERT", "KEY")
    );
}

#[test]
fn a_bad_secret_is_refused_by_field_without_its_value() {
    let error = mesh::istio::parse(&TLS_SECRET.replace("S0VZ", "not*base64"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("Secret bookinfo-credential: data[tls.key] is not valid base64"),
        "{error}"
    );
    assert!(!error.contains("not*base64"), "{error}");
    let extra = mesh::istio::parse(&format!("{TLS_SECRET}spec: {{}}\n"))
        .unwrap_err()
        .to_string();
    assert!(extra.contains("spec is not supported"), "{extra}");
}

#[test]
fn a_secret_in_istio_system_is_listed_with_n_or_a_as_kubectl_lists_it() {
    let in_istio_system = TLS_SECRET.replace(
        "name: bookinfo-credential",
        "name: bookinfo-credential\n  namespace: istio-system",
    );
    let resources = resources(&[&in_istio_system, TLS_SECRET]);
    let credential = ResourceKey {
        namespace: "istio-system".into(),
        ..key(Kind::Secret, "bookinfo-credential")
    };
    let in_namespace = |namespaces: Namespaces, name: Option<&str>| {
        get_in_at_42s(
            &resources,
            &credential,
            "secret",
            name,
            namespaces,
            OutputFormat::Table,
        )
    };

    let istio_system = in_namespace(Namespaces::One("istio-system".into()), None).unwrap();
    assert_eq!(
        istio_system,
        "NAME                  TYPE                DATA   AGE\n\
         bookinfo-credential   kubernetes.io/tls   2      42s\n"
    );
    let everywhere = in_namespace(Namespaces::All, None).unwrap();
    assert_eq!(
        everywhere,
        "NAMESPACE      NAME                  TYPE                DATA   AGE\n\
         default        bookinfo-credential   kubernetes.io/tls   2      42s\n\
         istio-system   bookinfo-credential   kubernetes.io/tls   2      42s\n"
    );
    assert_eq!(
        in_namespace(Namespaces::One("other".into()), None).unwrap(),
        "No resources found in other namespace.\n"
    );
    let by_name = in_namespace(Namespaces::All, Some("bookinfo-credential")).unwrap_err();
    assert_eq!(
        by_name.to_string(),
        "a resource cannot be retrieved by name across all namespaces"
    );
    let yaml = get_in_at_42s(
        &resources,
        &credential,
        "secret",
        Some("bookinfo-credential"),
        Namespaces::One("istio-system".into()),
        OutputFormat::Yaml,
    )
    .unwrap();
    assert!(yaml.contains("namespace: istio-system"), "{yaml}");
}

#[test]
fn services_in_another_namespace_leave_the_meshs_own_out() {
    let resources = resources(&[]);
    let listed = mesh::get(
        &bookinfo(),
        &resources,
        &GetRequest {
            kind: "svc",
            name: None,
            namespaces: Namespaces::One("istio-system".into()),
            format: OutputFormat::Table,
            ingress: [127, 0, 0, 1].into(),
            now: 0,
        },
    )
    .unwrap();
    assert_eq!(listed, "No resources found in istio-system namespace.\n");
}
