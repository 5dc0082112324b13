//! Workload identities and mutual TLS: every call between pods, and from the ingress gateway
//! to a pod, arrives at the pod's inbound listener over TLS with a client certificate;
//! PERMISSIVE (the default) still takes a plaintext client.

use std::net::SocketAddr;

use crate::helpers::spawn_mesh_with_gateway;

const TITLE: &str = "<title>Simple Bookstore App</title>";

/// The sum of a stat of `pod`'s inbound listener (`listener.<pod ip>_9080.<stat>`).
fn inbound_stat(mesh: &mesh::Mesh, pod: &str, stat: &str) -> u64 {
    let ip = mesh
        .control()
        .topology()
        .sidecars
        .as_ref()
        .unwrap()
        .pod_ip(pod)
        .unwrap();
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
    let envoy = mesh.local.mesh();
    let ip = envoy
        .control()
        .topology()
        .sidecars
        .as_ref()
        .unwrap()
        .pod_ip("details-v1")
        .unwrap();
    let address = SocketAddr::from((ip, 9080));
    let mut reply = awc::Client::new()
        .get(format!("http://{address}/details/0"))
        .send()
        .await
        .expect("a plaintext connection is accepted");
    let body = String::from_utf8_lossy(&reply.body().await.unwrap()).into_owned();
    assert_eq!(reply.status().as_u16(), 200, "{body}");
    assert!(body.contains("William Shakespeare"), "{body}");
}
