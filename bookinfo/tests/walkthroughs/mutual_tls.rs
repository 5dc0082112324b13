//! Workload identities and mutual TLS: every call between pods, and from the ingress gateway
//! to a pod, arrives at the pod's inbound listener over TLS with a client certificate;
//! PERMISSIVE (the default) still takes a plaintext client.

use std::net::SocketAddr;
use std::process::Command;

use crate::helpers::{TestMesh, running_as_root, spawn_mesh_with_gateway};

const TITLE: &str = "<title>Simple Bookstore App</title>";

/// The sum of a stat of `pod`'s inbound listener (`listener.<pod ip>_9080.<stat>`).
fn inbound_stat(mesh: &mesh::Mesh, pod: &str, stat: &str) -> u64 {
    let ip = pod_address(mesh, pod).ip();
    let filter = format!(
        r"^listener\.{}_9080\.{stat}$",
        ip.to_string().replace('.', r"\.")
    );
    mesh.stats(&filter)
        .unwrap()
        .iter()
        .map(|stat| stat.value)
        .sum()
}

#[actix_web::test]
async fn every_call_between_pods_is_mutual_tls() {
    let mesh = spawn_mesh_with_gateway("mutual_tls_every_call").await;
    // The ingress reported is the gateway's own listener, not a pod's address for it.
    assert_eq!(
        mesh.local.ingress.ip(),
        std::net::Ipv4Addr::LOCALHOST,
        "{}",
        mesh.local.ingress
    );
    for _ in 0..6 {
        let page = mesh.anonymous_page().await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains(TITLE), "{}", page.body);
        assert!(!page.body.contains("Error fetching"), "{}", page.body);
    }
    let envoy = mesh.local.mesh();
    for pod in ["productpage-v1", "details-v1"] {
        let connections = inbound_stat(envoy, pod, "downstream_cx_total");
        let handshakes = inbound_stat(envoy, pod, "ssl.handshake");
        assert!(connections > 0, "{pod} was never called");
        assert_eq!(handshakes, connections, "{pod}: a connection without TLS");
    }
    let reviews: u64 = ["reviews-v1", "reviews-v2", "reviews-v3"]
        .iter()
        .map(|pod| inbound_stat(envoy, pod, "ssl.handshake"))
        .sum();
    assert!(reviews > 0, "no TLS handshake at any reviews pod");
}

#[actix_web::test]
async fn permissive_by_default_a_plaintext_client_reaches_a_pod() {
    let mesh = spawn_mesh_with_gateway("mutual_tls_permissive_default").await;
    let address = pod_address(mesh.local.mesh(), "details-v1");
    let mut reply = awc::Client::new()
        .get(format!("http://{address}/details/0"))
        .send()
        .await
        .expect("a plaintext connection is accepted");
    let body = String::from_utf8_lossy(&reply.body().await.unwrap()).into_owned();
    assert_eq!(reply.status().as_u16(), 200, "{body}");
    assert!(body.contains("William Shakespeare"), "{body}");
}

const STRICT_MESH_WIDE: &str = "apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: STRICT
";

/// A PeerAuthentication for the details pods, `mtls.mode: {mode}` (and what follows it).
fn details_policy(mode: &str) -> String {
    format!(
        "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: details\nspec:\n  selector:\n    matchLabels:\n      app: details\n  mtls:\n    mode: {mode}\n"
    )
}

/// `pod`'s inbound address (`POD_IP:9080`).
fn pod_address(mesh: &mesh::Mesh, pod: &str) -> SocketAddr {
    let ip = mesh
        .control()
        .topology()
        .sidecars
        .as_ref()
        .unwrap()
        .pod_ip(pod)
        .unwrap();
    SocketAddr::from((ip, 9080))
}

/// `curl -sS http://POD_IP:9080/details/0` from the host, outside the mesh: its exit code.
fn plaintext_curl(mesh: &TestMesh, pod: &str) -> Option<i32> {
    let url = format!("http://{}/details/0", pod_address(mesh.local.mesh(), pod));
    let output = Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "--max-time", "10", &url])
        .output()
        .expect("curl runs");
    output.status.code()
}

#[actix_web::test]
async fn strict_refuses_a_plaintext_client_and_keeps_the_mesh_working() {
    let mesh = spawn_mesh_with_gateway("mutual_tls_strict").await;
    assert_eq!(
        plaintext_curl(&mesh, "details-v1"),
        Some(0),
        "PERMISSIVE at first"
    );

    mesh.apply(STRICT_MESH_WIDE);
    let listed = mesh
        .local
        .mesh()
        .control()
        .get_in(
            "istio-system",
            "peerauthentication",
            None,
            mesh::OutputFormat::Table,
        )
        .unwrap();
    let columns: Vec<&str> = listed.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(columns[..2], ["default", "STRICT"], "{listed}");
    // The connection is reset, as with istio.io's "curl exit 56" check.
    assert_eq!(plaintext_curl(&mesh, "details-v1"), Some(56));
    let page = mesh.anonymous_page().await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("Error fetching"), "{}", page.body);

    // A workload's own policy wins over the mesh's; its port-level mode over its own.
    mesh.apply(&details_policy(
        "STRICT\n  portLevelMtls:\n    9080:\n      mode: PERMISSIVE",
    ));
    assert_eq!(plaintext_curl(&mesh, "details-v1"), Some(0));
    assert_eq!(plaintext_curl(&mesh, "ratings-v1"), Some(56));
    let listed = mesh.get_yaml("pa", "details");
    assert!(listed.contains("kind: PeerAuthentication"), "{listed}");
    assert!(listed.contains("mode: PERMISSIVE"), "{listed}");

    mesh.local.mesh().delete(STRICT_MESH_WIDE).unwrap();
    assert_eq!(
        plaintext_curl(&mesh, "ratings-v1"),
        Some(0),
        "PERMISSIVE again"
    );
}

#[actix_web::test]
async fn a_client_whose_destination_rule_disables_tls_fails_against_strict() {
    let mesh = spawn_mesh_with_gateway("mutual_tls_dr_disable").await;
    // STRICT first: a plain connection made before it would live on while it drains.
    mesh.apply(STRICT_MESH_WIDE);
    let details_without_tls = "apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: details
spec:
  host: details
  trafficPolicy:
    tls:
      mode: DISABLE
";
    mesh.apply(details_without_tls);
    let page = mesh.anonymous_page().await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Error fetching product details"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Error fetching product reviews"),
        "{}",
        page.body
    );
    // PERMISSIVE takes the plain connection.
    mesh.local.mesh().delete(STRICT_MESH_WIDE).unwrap();
    let page = mesh.anonymous_page().await;
    assert!(!page.body.contains("Error fetching"), "{}", page.body);
}

#[actix_web::test]
async fn disable_makes_callers_speak_plaintext_to_the_pod() {
    let mesh = spawn_mesh_with_gateway("mutual_tls_disable").await;
    mesh.apply(&details_policy("DISABLE"));
    let envoy = mesh.local.mesh();
    let before = inbound_stat(envoy, "details-v1", "ssl.handshake");
    for _ in 0..3 {
        let page = mesh.anonymous_page().await;
        assert!(!page.body.contains("Error fetching"), "{}", page.body);
    }
    assert_eq!(inbound_stat(envoy, "details-v1", "ssl.handshake"), before);
    assert!(inbound_stat(envoy, "details-v1", "downstream_cx_total") > 0);
}

#[actix_web::test]
async fn source_labels_route_each_caller_by_its_own_labels() {
    let mesh = spawn_mesh_with_gateway("mutual_tls_source_labels").await;
    mesh.apply_file("destination-rule-all.yaml");
    mesh.apply(
        "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - match:
    - sourceLabels:
        app: productpage
    route:
    - destination:
        host: reviews
        subset: v3
  - route:
    - destination:
        host: reviews
        subset: v1
",
    );
    // productpage's sidecar sends it to v3 (red stars) ...
    for _ in 0..5 {
        let page = mesh.anonymous_page().await;
        assert_eq!(page.stars(), crate::helpers::Stars::Red, "{}", page.body);
    }
    if !running_as_root() {
        return;
    }
    // ... the curl pod's to v1 (no ratings in the answer).
    for _ in 0..5 {
        let output = mesh.exec("curl", &["curl", "-sS", "http://reviews:9080/reviews/0"]);
        let body = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{body}");
        assert!(body.contains("\"reviews\""), "{body}");
        assert!(!body.contains("\"rating\""), "{body}");
    }
}
