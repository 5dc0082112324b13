//! Ambient mode, first steps of istio.io's ambient Getting Started: `bookinfo mesh label
//! namespace default istio.io/dataplane-mode=ambient` from another shell moves the pods from
//! their sidecars to the L4 node proxy (mutual TLS, no HTTP processing, one endpoint per
//! connection), and removing the label moves them back.

use std::process::Output;

use crate::helpers::{
    Page, Stars, TestMesh, count, productpage_l4_policy, repository_path, running_as_root,
    spawn_mesh_with_gateway_api, stdout,
};

const TITLE: &str = "<title>Simple Bookstore App</title>";

/// `bookinfo mesh label --dir DIR namespace default SPEC`, as a user in another shell.
fn label(mesh: &TestMesh, spec: &str) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_bookinfo"))
        .args(["mesh", "label", "--dir"])
        .arg(mesh.local.mesh().control().work_dir())
        .args(["namespace", "default", spec])
        .output()
        .expect("bookinfo runs")
}

/// The page from the curl pod, through its own proxy (the sidecar or the node proxy).
fn page_from_curl(mesh: &TestMesh) -> String {
    let output = mesh.exec(
        "curl",
        &["curl", "-s", "http://productpage:9080/productpage"],
    );
    stdout(&output)
}

#[actix_web::test]
async fn labelled_ambient_the_pods_talk_through_the_l4_node_proxy_and_back() {
    let mesh = spawn_mesh_with_gateway_api("ambient_label").await;
    // Routing rules that the sidecars follow and the node proxy cannot (HTTP, no waypoint).
    mesh.apply_file("destination-rule-all.yaml");
    mesh.apply_file("virtual-service-all-v1.yaml");

    let labeled = label(&mesh, "istio.io/dataplane-mode=ambient");
    assert_eq!(stdout(&labeled), "namespace/default labeled\n");
    let again = label(&mesh, "istio.io/dataplane-mode=ambient");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already has a value (ambient)"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let shown = std::process::Command::new(env!("CARGO_BIN_EXE_bookinfo"))
        .args(["mesh", "get", "--dir"])
        .arg(mesh.local.mesh().control().work_dir())
        .args(["namespace", "default", "--show-labels"])
        .output()
        .expect("bookinfo runs");
    assert_eq!(
        stdout(&shown),
        "NAME      STATUS   AGE         LABELS\n\
         default   Active   <unknown>   istio.io/dataplane-mode=ambient,kubernetes.io/metadata.name=default\n"
    );

    let seen = mesh.stars_over(24, None).await;
    for stars in [Stars::None, Stars::Black, Stars::Red] {
        assert!(
            count(&seen, stars) > 0,
            "every reviews version answers at L4, the VirtualService has no say: {seen:?}"
        );
    }
    // productpage's calls went through its node proxy's L4 listener for reviews, over mTLS.
    let l4 = mesh.counter(
        r"^tcp\.ztunnel_outbound_reviews\.default\.svc\.cluster\.local_9080\.downstream_cx_total$",
    );
    assert!(
        l4 >= 24,
        "{l4} connections through the node proxy to reviews"
    );
    let tunnels = mesh.counter(
        r"^cluster\.productpage-v1~outbound\|9080\|\|reviews\.default\.svc\.cluster\.local\.upstream_rq_total$",
    );
    assert!(tunnels >= 24, "{tunnels} tunnels (CONNECT) to reviews");
    let handshakes = mesh.counter(
        r"^cluster\.productpage-v1~outbound\|9080\|\|reviews\.default\.svc\.cluster\.local\.ssl\.handshake$",
    );
    assert!(
        handshakes >= 24,
        "{handshakes} mTLS handshakes, one per tunnel"
    );
    let http = mesh.counter(
        r"^http\.outbound_reviews\.default\.svc\.cluster\.local_9080\.downstream_rq_total$",
    );
    assert_eq!(http, 0, "no HTTP processing on the way to reviews");

    if running_as_root() {
        let page = page_from_curl(&mesh);
        assert!(page.contains(TITLE), "{page}");
        assert!(!page.contains("Error fetching"), "{page}");
    }

    let unlabeled = label(&mesh, "istio.io/dataplane-mode-");
    assert_eq!(stdout(&unlabeled), "namespace/default unlabeled\n");
    let seen = mesh.stars_over(8, None).await;
    assert_eq!(
        count(&seen, Stars::None),
        8,
        "back in their sidecars, the pods follow reviews-v1's route: {seen:?}"
    );
    if running_as_root() {
        let page = page_from_curl(&mesh);
        assert!(page.contains(TITLE), "{page}");
    }
}

#[actix_web::test]
async fn an_l4_policy_resets_a_caller_it_does_not_allow_curls_exit_code_56() {
    let mesh = spawn_mesh_with_gateway_api("ambient_l4_policy").await;
    stdout(&label(&mesh, "istio.io/dataplane-mode=ambient"));
    // istio.io's productpage-ztunnel: only the Gateway API gateway may call productpage.
    mesh.apply(&productpage_l4_policy(&[GATEWAY_API_PRINCIPAL]));

    let page = mesh.anonymous_page().await;
    assert_eq!(
        page.status, 200,
        "the Gateway API gateway is allowed: {}",
        page.body
    );
    assert!(page.body.contains(TITLE), "{}", page.body);
    let denied = r"ztunnel_rbac_productpage-v1\.rbac\.denied$";
    assert_eq!(mesh.counter(denied), 0);
    if running_as_root() {
        // istio.io's check: curl's exit code 56, the connection reset by the node proxy.
        let output = mesh.exec(
            "deploy/curl",
            &["curl", "-s", "http://productpage:9080/productpage"],
        );
        assert_eq!(
            output.status.code(),
            Some(56),
            "{}",
            String::from_utf8_lossy(&output.stdout)
        );
        assert_eq!(
            mesh.counter(denied),
            1,
            "refused by productpage's L4 policy"
        );
        // The policy is productpage's: the curl pod still reaches details.
        let details = mesh.exec("curl", &["curl", "-s", "http://details:9080/details/0"]);
        assert!(stdout(&details).contains("\"id\":0"));
    }
    let page = mesh.anonymous_page().await;
    assert_eq!(page.status, 200, "{}", page.body);
}

/// The page through the ingress once its status is `want`: a connection the gateway opened to
/// productpage before a policy changed keeps the old listener until Envoy drains it (2 s).
async fn page_once_status_is(mesh: &TestMesh, want: u16) -> Page {
    let mut last = None;
    for _ in 0..60 {
        let page = mesh.anonymous_page().await;
        if page.status == want {
            return page;
        }
        last = Some(page);
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let last = last.expect("at least one page");
    panic!("want {want}, got {}: {}", last.status, last.body);
}

const GATEWAY_API_PRINCIPAL: &str = "cluster.local/ns/default/sa/bookinfo-gateway-istio";
const INGRESS_GATEWAY_PRINCIPAL: &str =
    "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";

#[actix_web::test]
async fn each_gateway_calls_productpage_with_its_own_identity_in_both_modes() {
    let mesh = spawn_mesh_with_gateway_api("gateway_identities").await;
    // Sidecar mode: productpage's HTTP RBAC by principal.
    mesh.apply(&productpage_l4_policy(&[GATEWAY_API_PRINCIPAL]));
    let page = page_once_status_is(&mesh, 200).await;
    assert!(page.body.contains(TITLE), "{}", page.body);
    let handshakes = r"^cluster\.bookinfo-gateway-istio~outbound\|9080\|\|productpage\.default\.svc\.cluster\.local\.ssl\.handshake$";
    assert!(
        mesh.counter(handshakes) > 0,
        "the Gateway API gateway calls with its own certificate"
    );
    mesh.apply(&productpage_l4_policy(&[INGRESS_GATEWAY_PRINCIPAL]));
    let page = page_once_status_is(&mesh, 403).await;
    assert_eq!(page.body, "RBAC: access denied");

    // Ambient mode: the same policy at productpage's node proxy, on the connection.
    stdout(&label(&mesh, "istio.io/dataplane-mode=ambient"));
    page_once_status_is(&mesh, 503).await;
    mesh.apply(&productpage_l4_policy(&[GATEWAY_API_PRINCIPAL]));
    page_once_status_is(&mesh, 200).await;

    // Istio's gateway instead of the Gateway API's: it calls as its own service account.
    let gateway_api = mesh::read_manifests(&repository_path("gateway-api/bookinfo-gateway.yaml"))
        .expect("the Gateway API file");
    mesh.local.mesh().delete(&gateway_api).expect("deleted");
    mesh.apply_file("bookinfo-gateway.yaml");
    page_once_status_is(&mesh, 503).await;
    mesh.apply(&productpage_l4_policy(&[INGRESS_GATEWAY_PRINCIPAL]));
    let page = page_once_status_is(&mesh, 200).await;
    assert!(page.body.contains(TITLE), "{}", page.body);
}

/// An AuthorizationPolicy on details with `spec_rest` after its selector.
fn details_policy(name: &str, annotations: &str, spec_rest: &str) -> String {
    format!(
        "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: {name}
  namespace: default{annotations}
spec:
  selector:
    matchLabels:
      app: details
{spec_rest}"
    )
}

/// curl's exit code for details from the curl pod.
fn curl_to_details(mesh: &TestMesh) -> Option<i32> {
    mesh.exec(
        "curl",
        &[
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "http://details:9080/details/0",
        ],
    )
    .status
    .code()
}

/// With `policy` applied, the curl pod's call to details is refused and productpage's is not;
/// then the policy is deleted.
async fn refuses_curl_only(mesh: &TestMesh, policy: &str) {
    mesh.apply(policy);
    assert_eq!(curl_to_details(mesh), Some(56));
    let page = mesh.anonymous_page().await;
    assert!(
        !page.body.contains("Error fetching product details"),
        "{}",
        page.body
    );
    mesh.local.mesh().delete(policy).expect("deleted");
}

#[actix_web::test]
async fn l4_policy_fields_dry_run_and_http_rules_at_the_node_proxy() {
    let mesh = spawn_mesh_with_gateway_api("ambient_l4_fields").await;
    if !running_as_root() {
        return; // `mesh exec` needs root: the exec tests check that it says so.
    }
    stdout(&label(&mesh, "istio.io/dataplane-mode=ambient"));
    let not_productpage = "  action: DENY
  rules:
  - from:
    - source:
        notPrincipals: [cluster.local/ns/default/sa/bookinfo-productpage]
";
    // Dry run: counted, not enforced.
    mesh.apply(&details_policy(
        "deny-others",
        "\n  annotations: {istio.io/dry-run: 'true'}",
        not_productpage,
    ));
    assert_eq!(curl_to_details(&mesh), Some(0));
    assert_eq!(
        mesh.counter(r"ztunnel_rbac_details-v1\.rbac\..*shadow_denied$"),
        1
    );
    // Enforced: curl is refused, productpage still reaches details.
    refuses_curl_only(&mesh, &details_policy("deny-others", "", not_productpage)).await;

    // The source's own pod IP and the destination port, as on a cluster.
    let curl_ip = mesh
        .local
        .mesh()
        .control()
        .topology()
        .sidecars
        .as_ref()
        .and_then(|sidecars| sidecars.pod_ip("curl"))
        .expect("the curl pod's IP");
    let by_address = format!(
        "  action: DENY\n  rules:\n  - from:\n    - source: {{ipBlocks: ['{curl_ip}/32']}}\n    to:\n    - operation: {{ports: ['9080']}}\n"
    );
    refuses_curl_only(&mesh, &details_policy("deny-curl-ip", "", &by_address)).await;

    // An ALLOW rule with HTTP attributes matches nothing at L4, and apply says so.
    let get_only = "  action: ALLOW\n  rules:\n  - to:\n    - operation: {methods: [GET]}\n";
    let applied = mesh.apply(&details_policy("get-only", "", get_only));
    assert!(applied.contains("ztunnel"), "{applied}");
    assert_eq!(curl_to_details(&mesh), Some(56));
    let page = mesh.anonymous_page().await;
    assert!(
        page.body.contains("Error fetching product details"),
        "{}",
        page.body
    );
}
