//! istio.io's ambient Getting Started, in the order its test.sh runs it: Bookinfo and the
//! Gateway API gateway, the gateway made a ClusterIP one, `get gateway`, the namespace labelled
//! ambient, and the page through the gateway; each check as test.sh makes it.

use crate::gateway_api::reviews_route;
use crate::helpers::{
    TestMesh, productpage_l4_policy, running_as_root, spawn_mesh, spawn_mesh_with_gateway_api,
    stdout,
};

const TITLE: &str = "<title>Simple Bookstore App</title>";

/// `_verify_like`: the same lines and columns as `expected`, the columns named in `free`
/// (AGE, ADDRESS on a cluster) any value.
fn assert_like(actual: &str, expected: &str, free: &[usize]) {
    let rows = |text: &str| -> Vec<Vec<String>> {
        text.lines()
            .map(|line| line.split_whitespace().map(str::to_owned).collect())
            .collect()
    };
    let (actual_rows, expected_rows) = (rows(actual), rows(expected));
    assert_eq!(actual_rows.len(), expected_rows.len(), "{actual}");
    for (got, want) in actual_rows.iter().zip(&expected_rows) {
        assert_eq!(got.len(), want.len(), "{actual}");
        for (column, (got, want)) in got.iter().zip(want).enumerate() {
            if !free.contains(&column) {
                assert_eq!(got, want, "column {column} of\n{actual}");
            }
        }
    }
}

#[actix_web::test]
async fn deploy_the_sample_and_add_it_to_the_ambient_mesh() {
    let mesh = spawn_mesh("getting_started_ambient_deploy").await;

    // snip_deploy_the_bookinfo_application_1: bookinfo.yaml's workloads are what `bookinfo mesh`
    // starts (its apply takes mesh resources only); the per-version Services are applied.
    mesh.apply_repository_file("platform/kube/bookinfo-versions.yaml");
    // snip_deploy_bookinfo_gateway
    let applied = mesh.apply_repository_file("gateway-api/bookinfo-gateway.yaml");
    assert_eq!(
        applied,
        "gateway.gateway.networking.k8s.io/bookinfo-gateway created\n\
         httproute.gateway.networking.k8s.io/bookinfo created\n"
    );
    // snip_annotate_bookinfo_gateway
    let annotated = mesh.cli(&[
        "annotate",
        "gateway",
        "bookinfo-gateway",
        "networking.istio.io/service-type=ClusterIP",
        "--namespace=default",
    ]);
    assert_eq!(
        stdout(&annotated),
        "gateway.gateway.networking.k8s.io/bookinfo-gateway annotated\n"
    );
    // As kubectl: a second value needs --overwrite, a missing resource is named.
    let again = mesh.cli(&[
        "annotate",
        "gtw",
        "bookinfo-gateway",
        "networking.istio.io/service-type=LoadBalancer",
    ]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already has a value (ClusterIP)"),
        "{again:?}"
    );
    let missing = mesh.cli(&["annotate", "gateway", "nothing", "a=b"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("gateways.gateway.networking.k8s.io \"nothing\" not found"),
        "{missing:?}"
    );
    let gateway = mesh.get_yaml("gtw", "bookinfo-gateway");
    assert!(
        gateway.contains("networking.istio.io/service-type: ClusterIP"),
        "{gateway}"
    );
    // _wait_for_gateway default bookinfo-gateway: programmed.
    assert!(gateway.contains("type: Programmed"), "{gateway}");

    // _verify_like snip_deploy_and_configure_the_ingress_gateway_3
    let listed = stdout(&mesh.cli(&["get", "gateway"]));
    assert_like(
        &listed,
        "NAME               CLASS   ADDRESS                                            PROGRAMMED   AGE\n\
         bookinfo-gateway   istio   bookinfo-gateway-istio.default.svc.cluster.local   True         42s\n",
        &[4],
    );

    // _verify_contains snip_add_bookinfo_to_the_mesh_1
    let labeled = mesh.cli(&[
        "label",
        "namespace",
        "default",
        "istio.io/dataplane-mode=ambient",
    ]);
    assert!(stdout(&labeled).contains("namespace/default labeled"));

    // The page through the gateway, now that the pods are in the ambient mesh.
    let page = mesh.anonymous_page().await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(TITLE), "{}", page.body);
}

/// The state after "Secure and visualize": Bookinfo, its versions and the Gateway API gateway
/// (a ClusterIP one), the namespace in the ambient mesh.
async fn in_the_ambient_mesh(name: &str) -> TestMesh {
    let mesh = spawn_mesh_with_gateway_api(name).await;
    stdout(&mesh.cli(&[
        "annotate",
        "gateway",
        "bookinfo-gateway",
        "networking.istio.io/service-type=ClusterIP",
    ]));
    stdout(&mesh.cli(&[
        "label",
        "namespace",
        "default",
        "istio.io/dataplane-mode=ambient",
    ]));
    mesh
}

#[actix_web::test]
async fn an_l4_policy_lets_only_the_gateway_reach_productpage() {
    let mesh = in_the_ambient_mesh("getting_started_ambient_l4").await;
    assert!(running_as_root(), "mesh exec needs root");

    // snip_deploy_l4_policy; snip_deploy_curl (the launcher runs samples/curl's pod already).
    mesh.apply(&productpage_l4_policy(&[
        "cluster.local/ns/default/sa/bookinfo-gateway-istio",
    ]));
    // _verify_contains snip_enforce_layer_4_authorization_policy_3
    let denied = mesh.exec(
        "deploy/curl",
        &["curl", "-s", "http://productpage:9080/productpage"],
    );
    assert_eq!(denied.status.code(), Some(56), "{denied:?}");
    assert!(
        String::from_utf8_lossy(&denied.stderr).contains("command terminated with exit code 56"),
        "{denied:?}"
    );
    // The gateway's identity is the one allowed: the page still opens through it.
    let page = mesh.anonymous_page().await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(TITLE), "{}", page.body);
}

/// snip_deploy_l7_policy: at the waypoint, only the curl pod's GETs reach productpage.
const L7_POLICY: &str = r#"
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: productpage-waypoint
  namespace: default
spec:
  targetRefs:
  - kind: Service
    group: ""
    name: productpage
  action: ALLOW
  rules:
  - from:
    - source:
        principals:
        - cluster.local/ns/default/sa/curl
    to:
    - operation:
        methods: ["GET"]
"#;

/// `kubectl exec deploy/curl -- curl -s http://productpage:9080/productpage ARGS...`: the
/// output, whatever the exit code.
fn productpage_from(mesh: &TestMesh, workload: &str, args: &[&str]) -> String {
    let mut command = vec!["curl", "-s", "http://productpage:9080/productpage"];
    command.extend_from_slice(args);
    let output = mesh.exec(workload, &command);
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[actix_web::test]
async fn a_waypoint_enforces_l7_policy_splits_reviews_and_cleans_up() {
    let mesh = in_the_ambient_mesh("getting_started_ambient_waypoint").await;
    assert!(running_as_root(), "mesh exec needs root");
    mesh.apply(&productpage_l4_policy(&[
        "cluster.local/ns/default/sa/bookinfo-gateway-istio",
    ]));

    // _verify_contains snip_deploy_waypoint
    let deployed = stdout(&mesh.cli(&["waypoint", "apply", "--enroll-namespace", "--wait"]));
    assert!(
        deployed.contains(
            "✅ waypoint default/waypoint applied\n\
             ✅ waypoint default/waypoint is ready!\n\
             ✅ namespace default labeled with \"istio.io/use-waypoint: waypoint\"\n"
        ),
        "{deployed}"
    );
    // _verify_like snip_enforce_layer_7_authorization_policy_2 (ADDRESS and AGE free)
    let listed = stdout(&mesh.cli(&["get", "gtw", "waypoint"]));
    assert_like(
        &listed,
        "NAME       CLASS            ADDRESS       PROGRAMMED   AGE\n\
         waypoint   istio-waypoint   10.96.58.95   True         42s\n",
        &[2, 4],
    );

    // snip_deploy_l7_policy, snip_update_l4_policy
    mesh.apply(L7_POLICY);
    mesh.apply(&productpage_l4_policy(&[
        "cluster.local/ns/default/sa/bookinfo-gateway-istio",
        "cluster.local/ns/default/sa/waypoint",
    ]));
    // _verify_contains snip_enforce_layer_7_authorization_policy_5, _6 and _7
    let deleting = productpage_from(&mesh, "deploy/curl", &["-X", "DELETE"]);
    assert!(deleting.contains("RBAC: access denied"), "{deleting}");
    let from_reviews = productpage_from(&mesh, "deploy/reviews-v1", &[]);
    assert!(
        from_reviews.contains("RBAC: access denied"),
        "{from_reviews}"
    );
    let from_curl = productpage_from(&mesh, "deploy/curl", &[]);
    assert!(from_curl.contains(TITLE), "{from_curl}");

    // snip_deploy_httproute, then _verify_lines snip_test_traffic_split
    mesh.apply(&reviews_route(
        "  - backendRefs:
    - name: reviews-v1
      port: 9080
      weight: 90
    - name: reviews-v2
      port: 9080
      weight: 10
",
    ));
    let split = mesh.exec(
        "deploy/curl",
        &[
            "sh",
            "-c",
            "for i in $(seq 1 100); do curl -s http://productpage:9080/productpage | grep reviews-v.-; done",
        ],
    );
    let lines = String::from_utf8_lossy(&split.stdout).into_owned();
    assert!(lines.contains("reviews-v1"), "{lines}");
    assert!(lines.contains("reviews-v2"), "{lines}");
    assert!(!lines.contains("reviews-v3"), "{lines}");

    // Cleanup (the task script's @cleanup; istio.io's cleanup page today): the ambient and
    // waypoint labels off the namespace, then `istioctl waypoint delete --all`.
    for label in ["istio.io/dataplane-mode-", "istio.io/use-waypoint-"] {
        // Then a warning once the L7 policy binds no waypoint any more.
        let unlabeled = stdout(&mesh.cli(&["label", "namespace", "default", label]));
        assert_eq!(
            unlabeled.lines().next(),
            Some("namespace/default unlabeled"),
            "{unlabeled}"
        );
    }
    let deleted = stdout(&mesh.cli(&["waypoint", "delete", "--all"]));
    assert_eq!(deleted, "waypoint default/waypoint deleted\n");
    let left = stdout(&mesh.cli(&["get", "gtw"]));
    assert!(!left.contains("istio-waypoint"), "{left}");
    // Out of the ambient mesh, the page opens through the gateway again.
    let page = mesh.anonymous_page().await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(TITLE), "{}", page.body);
}
