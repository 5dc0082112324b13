//! AuthorizationPolicies bound to the ingress gateway on a real Envoy: what istio.io's
//! "Ingress gateway" authorization examples check, with Envoy's own 403 `RBAC: access denied`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::fixtures::GATEWAY;
use crate::helpers::*;

const DENIED: &str = "RBAC: access denied";

/// An AuthorizationPolicy for the ingress gateway (istio-system, `istio: ingressgateway`).
fn ingress_policy(name: &str, rest: &str) -> String {
    format!(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: {name}\n  \
         namespace: istio-system\nspec:\n  selector:\n    matchLabels:\n      istio: ingressgateway\n{rest}"
    )
}

fn status_and_body(answer: &Answer) -> (u16, &str) {
    (answer.status, answer.body.trim())
}

/// `GET path` through the ingress, on a new connection as each `curl` of the task has.
async fn fresh(mesh: &TestMesh, path: &str, headers: &[(&str, &str)]) -> Answer {
    let url = format!("{}{path}", mesh.mesh.ingress_url());
    mesh.get_on_new_connection(&url, headers).await
}

#[actix_web::test]
async fn an_empty_policy_denies_everything_only_where_it_applies() {
    let mesh = spawn_mesh();
    mesh.apply(GATEWAY);
    assert_eq!(fresh(&mesh, "/productpage", &[]).await.status, 200);

    let allow_nothing = ingress_policy("allow-nothing", "");
    let applied = mesh.apply(&allow_nothing);
    assert_eq!(
        applied.to_string().lines().next(),
        Some("authorizationpolicy.security.istio.io/allow-nothing created")
    );
    let denied = fresh(&mesh, "/productpage", &[]).await;
    assert_eq!(status_and_body(&denied), (403, DENIED));
    assert_eq!(
        mesh.received("productpage", "v1"),
        1,
        "a denied request never reaches the workload"
    );
    mesh.mesh.delete(&allow_nothing).expect("deleted");
    assert_eq!(fresh(&mesh, "/productpage", &[]).await.status, 200);

    // In `default` it is for the workloads of `default`, not for the gateway in istio-system.
    let in_default = "apiVersion: security.istio.io/v1beta1\nkind: AuthorizationPolicy\n\
                      metadata: {name: allow-nothing, namespace: default}\nspec: {}\n";
    mesh.apply(in_default);
    assert_eq!(fresh(&mesh, "/productpage", &[]).await.status, 200);

    // In the root namespace without a selector it is for every workload, the gateway too.
    let mesh_wide = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n\
                     metadata: {name: allow-nothing, namespace: istio-system}\nspec: {}\n";
    mesh.apply(mesh_wide);
    assert_eq!(
        status_and_body(&fresh(&mesh, "/productpage", &[]).await),
        (403, DENIED)
    );
}

#[actix_web::test]
async fn methods_paths_and_headers_decide_and_deny_comes_before_allow() {
    let mesh = spawn_mesh();
    mesh.apply(GATEWAY);
    mesh.apply(&ingress_policy(
        "allow-reads",
        "  action: ALLOW\n  rules:\n  - to:\n    - operation:\n        methods: [GET]\n        \
         paths: [/productpage, /api/v1/products/*]\n",
    ));
    mesh.apply(&ingress_policy(
        "deny-blocked",
        "  action: DENY\n  rules:\n  - when:\n    - key: request.headers[x-block]\n      values: ['*']\n  \
         - to:\n    - operation:\n        paths: ['*/reviews']\n",
    ));

    let cases = [
        ("/productpage", vec![], 200, "GET on an allowed path"),
        (
            "/api/v1/products/0",
            vec![],
            200,
            "a path under the allowed prefix",
        ),
        ("/login", vec![], 403, "a path no ALLOW rule names"),
        (
            "/productpage",
            vec![("x-block", "yes")],
            403,
            "DENY on a present header before ALLOW",
        ),
        (
            "/api/v1/products/0/reviews",
            vec![],
            403,
            "DENY on a path suffix before ALLOW",
        ),
    ];
    for (path, headers, status, why) in cases {
        let answer = fresh(&mesh, path, &headers).await;
        assert_eq!(
            answer.status, status,
            "{why}: {path} {headers:?}: {}",
            answer.body
        );
    }
    let post = mesh.login_through_ingress("jason").await;
    assert_eq!(
        status_and_body(&post),
        (403, DENIED),
        "POST is not among the methods"
    );
}

#[actix_web::test]
async fn ip_blocks_and_ports_are_those_of_the_connection() {
    let mesh = spawn_mesh();
    mesh.apply(GATEWAY);
    let from = |blocks: &str| {
        ingress_policy(
            "from-network",
            &format!("  rules:\n  - from:\n    - source:\n        ipBlocks: [{blocks}]\n"),
        )
    };
    mesh.apply(&from("10.0.0.0/8"));
    assert_eq!(
        fresh(&mesh, "/productpage", &[]).await.status,
        403,
        "the test client is on 127.0.0.1"
    );
    mesh.apply(&from("127.0.0.1"));
    assert_eq!(fresh(&mesh, "/productpage", &[]).await.status, 200);

    let deny_others = ingress_policy(
        "deny-others",
        "  action: DENY\n  rules:\n  - from:\n    - source:\n        notIpBlocks: [127.0.0.0/8]\n",
    );
    mesh.apply(&deny_others);
    assert_eq!(
        fresh(&mesh, "/productpage", &[]).await.status,
        200,
        "loopback is not denied"
    );

    // The gateway's port as on a cluster (8080), whatever the local one is.
    let to_port = |port: &str| {
        ingress_policy(
            "from-network",
            &format!("  rules:\n  - to:\n    - operation:\n        ports: ['{port}']\n"),
        )
    };
    mesh.apply(&to_port("8080"));
    assert_eq!(fresh(&mesh, "/productpage", &[]).await.status, 200);
    mesh.apply(&to_port("9080"));
    assert_eq!(fresh(&mesh, "/productpage", &[]).await.status, 403);
}

#[actix_web::test]
async fn a_header_cannot_claim_a_principal() {
    let mesh = spawn_mesh();
    mesh.apply(GATEWAY);
    mesh.apply(&ingress_policy(
        "from-productpage",
        "  rules:\n  - from:\n    - source:\n        principals: [cluster.local/ns/default/sa/bookinfo-productpage]\n",
    ));
    let identity = "spiffe://cluster.local/ns/default/sa/bookinfo-productpage";
    let claims = [
        (
            "x-forwarded-client-cert".to_owned(),
            format!("By={identity};URI={identity}"),
        ),
        ("x-spiffe".to_owned(), identity.to_owned()),
        (
            "x-client-principal".to_owned(),
            "cluster.local/ns/default/sa/bookinfo-productpage".to_owned(),
        ),
    ];
    let headers: Vec<(&str, &str)> = claims
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let answer = fresh(&mesh, "/productpage", &headers).await;
    assert_eq!(status_and_body(&answer), (403, DENIED));
}

#[actix_web::test]
async fn every_field_envoy_is_given_is_accepted_and_audit_and_dry_run_never_deny() {
    let mesh = spawn_mesh();
    mesh.apply(GATEWAY);
    let everything = ingress_policy(
        "everything",
        "  action: AUDIT\n  rules:\n  - from:\n    - source:\n        principals: ['*']\n        \
         notPrincipals: ['*/sa/curl']\n        namespaces: ['test*']\n        ipBlocks: [10.0.0.0/8]\n        \
         remoteIpBlocks: ['::1']\n        notRemoteIpBlocks: [192.168.0.1]\n    to:\n    - operation:\n        \
         hosts: ['*.example.com', 'Bookinfo*']\n        notHosts: [x.example.com]\n        \
         paths: ['/static/{*}/{**}', '*.css', '*']\n        methods: ['*']\n        ports: ['8080']\n    \
         when:\n    - {key: 'request.headers[x-token]', values: ['*'], notValues: [bad]}\n    \
         - {key: destination.ip, values: [127.0.0.1]}\n    - {key: connection.sni, values: ['*.example.com']}\n    \
         - {key: source.namespace, notValues: [other]}\n    - {key: remote.ip, values: [127.0.0.0/8]}\n",
    );
    mesh.apply(&everything);
    let dry_run_deny = ingress_policy("deny-all-dry-run", "  action: DENY\n  rules: [{}]\n")
        .replace(
            "  namespace: istio-system\n",
            "  namespace: istio-system\n  annotations: {istio.io/dry-run: 'true'}\n",
        );
    mesh.apply(&dry_run_deny);
    assert_eq!(fresh(&mesh, "/productpage", &[]).await.status, 200);
}

#[actix_web::test]
async fn a_policy_targeting_the_gateway_api_gateway_applies_at_the_ingress() {
    let mesh = spawn_mesh();
    mesh.apply(crate::gateway_api_fixtures::BOOKINFO_GATEWAY);
    assert_eq!(fresh(&mesh, "/productpage", &[]).await.status, 200);
    let target = |name: &str| {
        format!(
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: deny-page, namespace: default}}\n\
             spec:\n  targetRefs:\n  - {{kind: Gateway, group: gateway.networking.k8s.io, name: {name}}}\n  \
             action: DENY\n  rules:\n  - to:\n    - operation: {{paths: [/productpage]}}\n"
        )
    };
    mesh.apply(&target("another-gateway"));
    assert_eq!(
        fresh(&mesh, "/productpage", &[]).await.status,
        200,
        "another Gateway's policy"
    );
    mesh.apply(&target("bookinfo-gateway"));
    let denied = fresh(&mesh, "/productpage", &[]).await;
    assert_eq!(status_and_body(&denied), (403, DENIED));
    assert_eq!(
        fresh(&mesh, "/static/x", &[]).await.status,
        200,
        "other paths pass"
    );
}
