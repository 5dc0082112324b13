//! Ambient mode, first steps of istio.io's ambient Getting Started: `bookinfo mesh label
//! namespace default istio.io/dataplane-mode=ambient` from another shell moves the pods from
//! their sidecars to the L4 node proxy (mutual TLS, no HTTP processing, one endpoint per
//! connection), and removing the label moves them back.

use std::process::Output;

use crate::helpers::{Stars, TestMesh, count, running_as_root, spawn_mesh_with_gateway_api};

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

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
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
    let handshakes = mesh.counter(
        r"^cluster\.productpage-v1~outbound\|9080\|\|reviews\.default\.svc\.cluster\.local\.ssl\.handshake$",
    );
    assert!(handshakes >= 24, "{handshakes} mTLS handshakes to reviews");
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
