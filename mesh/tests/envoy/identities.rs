//! Pods with sidecars: each pod calls with its own certificate, the called pod's app learns
//! the caller's SPIFFE id from the connection (`x-forwarded-client-cert`), and a header a
//! client writes itself claims nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;

use chassis::testing::{RecordingBackend, StubReply};
use mesh::{LoopbackBlock, Mesh, Pod, Sidecars, Topology};

use crate::helpers::{ScratchDir, WORKLOADS};

const FORGED: &str = "By=spiffe://cluster.local/ns/default/sa/bookinfo-details;URI=spiffe://cluster.local/ns/default/sa/bookinfo-productpage";

struct PodMesh {
    mesh: Mesh,
    backends: Vec<(String, RecordingBackend)>,
    _block: LoopbackBlock,
    _dir: ScratchDir,
}

/// Recording backends as Bookinfo's apps, each in a pod with a sidecar, and the curl pod.
fn spawn_pod_mesh() -> PodMesh {
    chassis::telemetry::init_for_tests();
    let block = LoopbackBlock::reserve().unwrap();
    let mut sidecars = Sidecars::new(block.number()).with_pod(Pod::ingress_gateway());
    let mut backends = Vec::new();
    for (app, version) in WORKLOADS {
        let backend = RecordingBackend::start(StubReply::json(200, "{}"));
        sidecars = sidecars.with_pod(Pod::bookinfo(app, version, backend.address));
        backends.push((format!("{app}-{version}"), backend));
    }
    let topology = Topology::new().with_pods(sidecars.with_pod(Pod::curl()));
    let dir = ScratchDir::new();
    let envoy = mesh::find_envoy().expect("Envoy is installed (scripts/deps/envoy.sh)");
    let mesh = Mesh::start(&topology, &dir.0, &envoy).expect("mesh starts");
    PodMesh {
        mesh,
        backends,
        _block: block,
        _dir: dir,
    }
}

impl PodMesh {
    /// `GET /details/0` from `pod`'s sidecar to details, with a forged client-certificate
    /// header; returns the header details' app received.
    async fn details_sees_from(&self, pod: &str) -> Option<String> {
        let address = self.mesh.control().outbound_of(pod, "details").unwrap();
        self.details_sees_at(address).await
    }

    async fn details_sees_at(&self, address: SocketAddr) -> Option<String> {
        let mut response = awc::Client::new()
            .get(format!("http://{address}/details/0"))
            .insert_header(("x-forwarded-client-cert", FORGED))
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status().as_u16(), 200);
        let _ = response.body().await;
        let (_, details) = self
            .backends
            .iter()
            .find(|(name, _)| name == "details-v1")
            .unwrap();
        let last = details.requests().pop().expect("details was called");
        last.header("x-forwarded-client-cert").map(str::to_owned)
    }
}

#[actix_web::test]
async fn the_called_app_learns_the_callers_identity_from_its_certificate_only() {
    let mesh = spawn_pod_mesh();
    let from_curl = mesh.details_sees_from("curl").await.expect("XFCC set");
    assert!(
        from_curl.contains("URI=spiffe://cluster.local/ns/default/sa/curl"),
        "{from_curl}"
    );
    assert!(!from_curl.contains("bookinfo-productpage"), "{from_curl}");

    let from_productpage = mesh
        .details_sees_from("productpage-v1")
        .await
        .expect("XFCC set");
    assert!(
        from_productpage.contains("URI=spiffe://cluster.local/ns/default/sa/bookinfo-productpage"),
        "{from_productpage}"
    );

    // A plaintext client straight at the pod (PERMISSIVE) has no identity at all.
    let sidecars = mesh.mesh.control().topology().sidecars.clone().unwrap();
    let pod = SocketAddr::from((sidecars.pod_ip("details-v1").unwrap(), 9080));
    assert_eq!(mesh.details_sees_at(pod).await, None);
}
