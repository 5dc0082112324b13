//! AuthorizationPolicy: which policies apply to a workload, and the Envoy RBAC filters istiod
//! builds from them (checked against the shapes of istiod's builder testdata).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use mesh::translate::rbac::{self, ListenerPort, PolicyTarget};
use serde_json::{Value, json};

use crate::fixtures::GATEWAY;
use crate::helpers::*;

/// The authz-http walkthrough's policies, as istio.io's snippets apply them.
pub const ALLOW_NOTHING: &str = "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-nothing
  namespace: default
spec:
  {}
";

/// A DENY policy for the ingress gateway (istio-system, `istio: ingressgateway`).
const INGRESS_DENY_ADMIN: &str = "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ingress, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  action: DENY
  rules: [{to: [{operation: {paths: [/admin*]}}]}]
";

fn viewer(name: &str, app: &str, principal: Option<&str>) -> String {
    let from = principal.map_or_else(String::new, |principal| {
        format!("  - from:\n    - source:\n        principals: [\"{principal}\"]\n")
    });
    let to_indent = if principal.is_some() { "    " } else { "  - " };
    format!(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: \"{name}\"\n  \
         namespace: default\nspec:\n  selector:\n    matchLabels:\n      app: {app}\n  action: ALLOW\n  \
         rules:\n{from}{to_indent}to:\n    - operation:\n        methods: [\"GET\"]\n"
    )
}

fn workload(app: &str) -> PolicyTarget {
    PolicyTarget::workload(
        "default",
        BTreeMap::from([
            ("app".to_owned(), app.to_owned()),
            ("version".to_owned(), "v1".to_owned()),
        ]),
    )
}

/// The filters for one workload, translated from `texts` applied in order.
fn filters_for(target: &PolicyTarget, texts: &[&str]) -> Vec<Value> {
    let set = resources(texts);
    let policies = rbac::policies_for(&set, std::slice::from_ref(target));
    rbac::filters(&policies, ListenerPort(9080), rbac::Layer::Http)
}

fn actions(filters: &[Value]) -> Vec<&str> {
    filters
        .iter()
        .map(|filter| {
            assert_eq!(filter["name"], "envoy.filters.http.rbac");
            filter["typed_config"]["rules"]["action"].as_str().unwrap()
        })
        .collect()
}

#[test]
fn allow_nothing_is_an_allow_filter_whose_only_policy_never_matches() {
    let filters = filters_for(&workload("productpage"), &[ALLOW_NOTHING]);
    assert_eq!(actions(&filters), ["ALLOW"]);
    let target = workload("productpage");
    let hook = rbac::workload_filters(
        &resources(&[ALLOW_NOTHING]),
        "default",
        &target.labels,
        9080,
        rbac::Layer::Http,
    );
    assert_eq!(
        hook, filters,
        "the inbound listener's hook gives the same filters"
    );
    assert_eq!(
        filters[0]["typed_config"]["rules"]["policies"],
        json!({"ns[default]-policy[allow-nothing]-rule[0]": {
            "permissions": [{"not_rule": {"any": true}}],
            "principals": [{"not_id": {"any": true}}],
        }})
    );
}

#[test]
fn a_principal_is_the_peer_certificate_spiffe_id_and_methods_the_method_header() {
    let details = viewer(
        "details-viewer",
        "details",
        Some("cluster.local/ns/default/sa/bookinfo-productpage"),
    );
    let filters = filters_for(&workload("details"), &[&details]);
    let policy = &filters[0]["typed_config"]["rules"]["policies"]["ns[default]-policy[details-viewer]-rule[0]"];
    assert_eq!(
        policy["principals"],
        json!([{"and_ids": {"ids": [{"or_ids": {"ids": [{"authenticated": {"principal_name": {
            "exact": "spiffe://cluster.local/ns/default/sa/bookinfo-productpage"
        }}}]}}]}}])
    );
    assert_eq!(
        policy["permissions"],
        json!([{"and_rules": {"rules": [{"or_rules": {"rules": [{"header": {
            "name": ":method", "string_match": {"exact": "GET"}
        }}]}}]}}])
    );
}

#[test]
fn a_selector_picks_workloads_of_its_namespace_and_the_root_namespace_picks_every_namespace() {
    let productpage_viewer = viewer("productpage-viewer", "productpage", None);
    assert_eq!(
        filters_for(&workload("productpage"), &[&productpage_viewer]).len(),
        1
    );
    assert!(filters_for(&workload("reviews"), &[&productpage_viewer]).is_empty());
    let elsewhere = PolicyTarget::workload("other", workload("productpage").labels);
    assert!(filters_for(&elsewhere, &[&productpage_viewer]).is_empty());
    let mesh_wide = ALLOW_NOTHING.replace("namespace: default", "namespace: istio-system");
    assert_eq!(filters_for(&elsewhere, &[&mesh_wide]).len(), 1);
}

#[test]
fn deny_comes_before_allow_audit_first_and_no_allow_policy_means_no_allow_filter() {
    let deny = "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-post}
spec:
  action: DENY
  rules:
  - to:
    - operation: {methods: [POST], notPaths: ['/api/*']}
";
    let audit = deny
        .replace("deny-post", "audit-all")
        .replace("action: DENY", "action: AUDIT");
    let target = workload("ratings");
    assert_eq!(actions(&filters_for(&target, &[deny])), ["DENY"]);
    let all = [deny, &audit, ALLOW_NOTHING];
    assert_eq!(
        actions(&filters_for(&target, &all)),
        ["LOG", "DENY", "ALLOW"]
    );
    let rules = &filters_for(&target, &[deny])[0]["typed_config"]["rules"];
    assert_eq!(
        rules["policies"]["ns[default]-policy[deny-post]-rule[0]"]["permissions"][0]["and_rules"]["rules"]
            [1],
        json!({"not_rule": {"or_rules": {"rules": [{"url_path": {"path": {"prefix": "/api/"}}}]}}})
    );
}

#[test]
fn an_empty_rule_allows_everything_and_a_dry_run_is_a_shadow_rule() {
    let allow_all = "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-all
  annotations: {istio.io/dry-run: 'true'}
spec:
  rules: [{}]
";
    let filters = filters_for(&workload("details"), &[allow_all]);
    let config = &filters[0]["typed_config"];
    assert!(
        config.get("rules").is_none(),
        "a dry run enforces nothing: {config}"
    );
    assert_eq!(config["shadow_rules_stat_prefix"], "istio_dry_run_allow_");
    assert_eq!(
        config["shadow_rules"]["policies"]["ns[default]-policy[allow-all]-rule[0]"],
        json!({
            "permissions": [{"and_rules": {"rules": [{"any": true}]}}],
            "principals": [{"and_ids": {"ids": [{"any": true}]}}],
        })
    );
}

#[test]
fn sources_conditions_and_wildcards_become_istios_matchers() {
    let policy = "apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata: {name: everything}
spec:
  rules:
  - from:
    - source:
        principals: ['*']
        notPrincipals: ['*/sa/curl']
        namespaces: ['test*']
        ipBlocks: [10.0.0.0/8, 192.168.1.1]
        remoteIpBlocks: ['::1']
    to:
    - operation: {hosts: ['*.example.com'], paths: ['/static/{*}/{**}'], ports: ['9080'], notPorts: ['8080']}
    when:
    - {key: 'request.headers[X-Token]', values: ['abc*']}
    - {key: destination.port, notValues: ['9080']}
";
    let filters = filters_for(&workload("details"), &[policy]);
    let rule =
        &filters[0]["typed_config"]["rules"]["policies"]["ns[default]-policy[everything]-rule[0]"];
    let ids = rule["principals"][0]["and_ids"]["ids"].as_array().unwrap();
    let principal = |index: usize| ids[index]["or_ids"]["ids"][0].clone();
    assert_eq!(
        principal(0)["authenticated"]["principal_name"],
        json!({"safe_regex": {"regex": ".+"}})
    );
    assert_eq!(
        ids[1]["not_id"]["or_ids"]["ids"][0]["authenticated"]["principal_name"],
        json!({"safe_regex": {"regex": "spiffe://.*/sa/curl"}})
    );
    assert_eq!(
        principal(2)["authenticated"]["principal_name"],
        json!({"safe_regex": {"regex": ".*/ns/test.*/.*"}})
    );
    assert_eq!(
        principal(3)["remote_ip"],
        json!({"address_prefix": "::1", "prefix_len": 128})
    );
    assert_eq!(
        ids[4]["or_ids"]["ids"],
        json!([
            {"direct_remote_ip": {"address_prefix": "10.0.0.0", "prefix_len": 8}},
            {"direct_remote_ip": {"address_prefix": "192.168.1.1", "prefix_len": 32}},
        ])
    );
    assert_eq!(
        principal(5)["header"],
        json!({"name": "x-token", "string_match": {"prefix": "abc"}})
    );
    let rules = rule["permissions"][0]["and_rules"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(
        rules[0]["or_rules"]["rules"][0]["header"],
        json!({"name": ":authority", "string_match": {"suffix": ".example.com", "ignore_case": true}})
    );
    assert_eq!(
        rules[1]["or_rules"]["rules"][0]["uri_template"]["typed_config"]["path_template"],
        "/static/*/**"
    );
    // On a cluster the listener's port is 9080: decided here, whatever the local port is.
    assert_eq!(rules[2]["or_rules"]["rules"][0], json!({"any": true}));
    assert_eq!(
        rules[3],
        json!({"not_rule": {"or_rules": {"rules": [{"not_rule": {"any": true}}]}}})
    );
    assert_eq!(
        rules[4],
        json!({"not_rule": {"or_rules": {"rules": [{"any": true}]}}})
    );
}

#[test]
fn ingress_policies_go_first_on_the_ingress_listeners_and_service_targets_are_reported() {
    let service_target = "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: on-a-service}
spec:
  targetRefs: [{kind: Service, group: '', name: reviews}]
  rules: [{}]
";
    let set = resources(&[GATEWAY, INGRESS_DENY_ADMIN, ALLOW_NOTHING, service_target]);
    let config = mesh::translate(&bookinfo(), &set).unwrap();
    let layout = mesh::Layout::in_dir(std::path::Path::new("/tmp/x"));
    let listeners = config.listener_resources(&layout);
    for listener in &listeners {
        let Some(filters) =
            listener["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"].as_array()
        else {
            continue; // The HTTPS ingress without HTTPS servers closes every connection.
        };
        let names: Vec<&str> = filters
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        let ingress = listener["name"].as_str().unwrap().starts_with("0.0.0.0_");
        let expected: &[&str] = if ingress {
            &[
                "envoy.filters.http.rbac",
                "envoy.filters.http.fault",
                "envoy.filters.http.router",
            ]
        } else {
            &["envoy.filters.http.fault", "envoy.filters.http.router"]
        };
        assert_eq!(names, expected, "{}", listener["name"]);
    }
    assert!(
        config.warnings.iter().any(|warning| warning
            .starts_with("AuthorizationPolicy on-a-service: targetRefs to a Service")),
        "{:?}",
        config.warnings
    );
}

#[test]
fn policies_on_a_waypoint_gateway_are_reported_and_bind_no_ingress() {
    let waypoint = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint}
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
";
    let on_waypoint = "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: on-the-waypoint}
spec:
  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}]
  rules: [{}]
";
    let on_ingress = on_waypoint
        .replace("on-the-waypoint", "on-the-ingress")
        .replace("name: waypoint}", "name: bookinfo-gateway}");
    let set = resources(&[waypoint, on_waypoint, &on_ingress]);
    let config = mesh::translate(&bookinfo(), &set).unwrap();
    let reported: Vec<&String> = config
        .warnings
        .iter()
        .filter(|warning| warning.contains("targetRefs bind waypoints"))
        .collect();
    assert_eq!(reported.len(), 1, "{:?}", config.warnings);
    assert!(
        reported[0].starts_with("AuthorizationPolicy on-the-waypoint:"),
        "{reported:?}"
    );
    let listeners =
        config.listener_resources(&mesh::Layout::in_dir(std::path::Path::new("/tmp/x")));
    assert!(
        listeners
            .iter()
            .all(|listener| !listener.to_string().contains("envoy.filters.http.rbac")),
        "a waypoint Gateway is no ingress: its policies reach no listener"
    );
}

#[test]
fn target_refs_attach_to_the_gateway_they_name_in_their_namespace() {
    let policy = |namespace: &str, group: &str, name: &str| {
        format!(
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: p, namespace: {namespace}}}\n\
             spec:\n  targetRef: {{kind: Gateway, group: {group}, name: {name}}}\n"
        )
    };
    let k8s_gateway = PolicyTarget::workload(
        "default",
        BTreeMap::from([(
            rbac::GATEWAY_NAME_LABEL.to_owned(),
            "bookinfo-gateway".to_owned(),
        )]),
    );
    let gateway_api = policy("default", "gateway.networking.k8s.io", "bookinfo-gateway");
    assert_eq!(filters_for(&k8s_gateway, &[&gateway_api]).len(), 1);
    let other_name = policy("default", "gateway.networking.k8s.io", "other");
    assert!(filters_for(&k8s_gateway, &[&other_name]).is_empty());
    assert!(
        filters_for(&workload("productpage"), &[&gateway_api]).is_empty(),
        "sidecars ignore targetRefs"
    );

    let istio_gateway = PolicyTarget {
        istio_gateways: vec![("default".to_owned(), "bookinfo-gateway".to_owned())],
        ..PolicyTarget::workload("istio-system", BTreeMap::new())
    };
    let classic = policy("default", "networking.istio.io", "bookinfo-gateway");
    assert_eq!(filters_for(&istio_gateway, &[&classic]).len(), 1);
    let wrong_namespace = policy("istio-system", "networking.istio.io", "bookinfo-gateway");
    assert!(filters_for(&istio_gateway, &[&wrong_namespace]).is_empty());
}

#[test]
fn get_lists_policies_with_kubectls_name_action_and_age_columns() {
    let productpage_viewer = viewer("productpage-viewer", "productpage", None);
    let in_root = ALLOW_NOTHING
        .replace("allow-nothing", "ingress-deny")
        .replace("namespace: default", "namespace: istio-system")
        .replace("  {}\n", "  action: DENY\n  rules: [{}]\n");
    let set = resources(&[ALLOW_NOTHING, &productpage_viewer, &in_root]);
    let key = mesh::istio::ResourceKey {
        kind: mesh::istio::Kind::AuthorizationPolicy,
        namespace: "default".into(),
        name: "allow-nothing".into(),
    };
    for kind in [
        "authorizationpolicy",
        "authorizationpolicies",
        "ap",
        "authorizationpolicies.security.istio.io",
    ] {
        let request = |namespace: &str| mesh::GetRequest {
            kind,
            name: None,
            namespaces: mesh::Namespaces::One(namespace.to_owned()),
            format: mesh::OutputFormat::Table,
            ingress: [127, 0, 0, 1].into(),
            now: set.created_at(&key).unwrap() + 42,
        };
        assert_eq!(
            mesh::get(&bookinfo(), &set, &request("default")).unwrap(),
            "NAME                 ACTION   AGE\nallow-nothing                 42s\nproductpage-viewer   ALLOW    42s\n",
            "{kind}"
        );
        assert_eq!(
            mesh::get(&bookinfo(), &set, &request("istio-system")).unwrap(),
            "NAME           ACTION   AGE\ningress-deny   DENY     42s\n",
            "{kind} -n istio-system"
        );
    }
}

#[test]
fn policies_istio_would_refuse_are_refused_with_its_reason() {
    let policy = |spec: &str| {
        format!(
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: p}}\nspec:\n{spec}"
        )
    };
    let cases = [
        (
            "  action: CUSTOM\n  provider: {name: ext}\n  rules: [{}]\n",
            "action CUSTOM is not supported",
        ),
        (
            "  provider: {name: ext}\n",
            "provider is only for the CUSTOM action",
        ),
        (
            "  selector: {matchLabels: {app: x}}\n  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: g}]\n",
            "only one of targetRefs or selector can be set",
        ),
        (
            "  targetRef: {kind: ServiceEntry, group: networking.istio.io, name: s}\n",
            "targetRef.kind ServiceEntry",
        ),
        (
            "  targetRef: {kind: Gateway, name: g, namespace: other}\n",
            "cross namespace referencing",
        ),
        (
            "  rules:\n  - from: []\n",
            "rules[0].from must not be empty",
        ),
        (
            "  rules:\n  - from: [{}]\n",
            "rules[0].from[0].source must not be nil",
        ),
        (
            "  rules:\n  - from: [{source: {}}]\n",
            "rules[0].from[0].source must not be empty",
        ),
        (
            "  rules:\n  - to: [{operation: {}}]\n",
            "rules[0].to[0].operation must not be empty",
        ),
        (
            "  rules:\n  - from: [{source: {requestPrincipals: ['*']}}]\n",
            "requestPrincipals is not supported: request principals come from a RequestAuthentication",
        ),
        (
            "  rules:\n  - from: [{source: {ipBlocks: [10.0.0.300]}}]\n",
            "invalid IP address or CIDR range: 10.0.0.300",
        ),
        (
            "  rules:\n  - to: [{operation: {ports: ['http']}}]\n",
            "invalid port: http",
        ),
        (
            "  rules:\n  - to: [{operation: {methods: ['']}}]\n",
            "empty value not allowed",
        ),
        (
            "  rules:\n  - to: [{operation: {paths: ['/a/{x}']}}]\n",
            "invalid path template /a/{x}",
        ),
        (
            "  rules:\n  - when: [{key: source.ip}]\n",
            "at least one of values or notValues must be set for key source.ip",
        ),
        (
            "  rules:\n  - when: [{key: 'request.auth.claims[iss]', values: [x]}]\n",
            "needs a RequestAuthentication",
        ),
        (
            "  rules:\n  - when: [{key: source.user, values: [x]}]\n",
            "unknown attribute: source.user",
        ),
        (
            "  rules:\n  - when: [{key: 'request.headers[]', values: [x]}]\n",
            "header name must be in brackets",
        ),
        (
            "  rules:\n  - from: [{source: {serviceAccounts: [curl], namespaces: [default]}}]\n",
            "Cannot set serviceAccounts with namespaces or principals",
        ),
        (
            "  rules:\n  - to: [{operation: {methods: [GET], verbs: [x]}}]\n",
            "verbs is not supported",
        ),
    ];
    for (spec, expected) in cases {
        let error = mesh::istio::parse(&policy(spec)).unwrap_err().to_string();
        assert!(
            error.starts_with("AuthorizationPolicy p: "),
            "{spec}: {error}"
        );
        assert!(
            error.contains(expected),
            "{spec}: expected {expected:?} in {error}"
        );
    }
    let wrong_version =
        policy("  {}\n").replace("security.istio.io/v1", "security.istio.io/v1alpha1");
    let error = mesh::istio::parse(&wrong_version).unwrap_err().to_string();
    assert!(
        error.contains("apiVersion security.istio.io/v1alpha1 is not served"),
        "{error}"
    );
}

#[test]
fn each_pods_inbound_listener_and_the_gateway_listeners_carry_their_own_policies() {
    let mut sidecars = mesh::Sidecars::new(31).with_pod(mesh::Pod::ingress_gateway());
    for (index, (app, version)) in crate::fixtures::WORKLOADS.into_iter().enumerate() {
        let listens = format!("127.0.0.1:{}", 10001 + index).parse().unwrap();
        sidecars = sidecars.with_pod(mesh::Pod::bookinfo(app, version, listens));
    }
    let topology = mesh::Topology::new().with_pods(sidecars.with_pod(mesh::Pod::curl()));
    let details = viewer(
        "details-viewer",
        "details",
        Some("cluster.local/ns/default/sa/bookinfo-productpage"),
    );
    let set = resources(&[GATEWAY, &details, INGRESS_DENY_ADMIN]);
    let config = mesh::translate(&topology, &set).unwrap();
    let layout = mesh::Layout::in_dir(std::path::Path::new("/tmp/unused"));
    let policies_of = |listener: &Value| -> Vec<String> {
        let chain = &listener["filter_chains"][0]["filters"][0]["typed_config"];
        chain["http_filters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|filter| filter["name"] == "envoy.filters.http.rbac")
            .flat_map(|filter| {
                let policies = filter["typed_config"]["rules"]["policies"]
                    .as_object()
                    .unwrap();
                policies.keys().cloned().collect::<Vec<_>>()
            })
            .collect()
    };
    let mut checked = 0;
    for listener in config.listener_resources(&layout) {
        let name = listener["name"].as_str().unwrap().to_owned();
        let expected: &[&str] = if name == "details-v1~inbound_9080" {
            &["ns[default]-policy[details-viewer]-rule[0]"]
        } else if name.starts_with("0.0.0.0_8080")
            || name.contains("istio-ingressgateway.istio-system")
        {
            &["ns[istio-system]-policy[ingress]-rule[0]"]
        } else {
            &[]
        };
        assert_eq!(policies_of(&listener), expected, "{name}");
        checked += usize::from(!expected.is_empty());
    }
    assert!(
        checked >= 2,
        "the details pod's inbound and the ingress were checked"
    );
}
