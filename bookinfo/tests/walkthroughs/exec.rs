//! `bookinfo mesh exec WORKLOAD -- COMMAND`: the guides' in-pod commands, run unchanged as the
//! curl pod (and others), through that pod's sidecar; output and exit codes pass through.

use crate::helpers::{TestMesh, running_as_root, spawn_mesh_with_gateway};

/// `curl -s URL` in `workload`: the body, checked to have exited 0.
fn curl(mesh: &TestMesh, workload: &str, url: &str) -> String {
    let output = mesh.exec(workload, &["curl", "-sS", url]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{url}: {:?} {stderr}",
        output.status
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[actix_web::test]
async fn curl_in_the_curl_pod_reaches_every_service_and_both_gateways() {
    let mesh = spawn_mesh_with_gateway("exec_curl").await;
    if !running_as_root() {
        let output = mesh.exec("curl", &["true"]);
        assert_eq!(output.status.code(), Some(125));
        assert!(String::from_utf8_lossy(&output.stderr).contains("needs root"));
        return;
    }
    let page = curl(&mesh, "curl", "http://productpage:9080/productpage");
    assert!(
        page.contains("<title>Simple Bookstore App</title>"),
        "{page}"
    );
    assert!(!page.contains("Error fetching"), "{page}");
    let details = curl(
        &mesh,
        "deploy/curl",
        "http://details.default:9080/details/0",
    );
    assert!(details.contains("William Shakespeare"), "{details}");
    let reviews = curl(
        &mesh,
        "curl",
        "http://reviews.default.svc.cluster.local:9080/reviews/0",
    );
    assert!(reviews.contains("\"reviews\""), "{reviews}");
    let ratings = curl(&mesh, "reviews-v2", "http://ratings:9080/ratings/0");
    assert!(ratings.contains("\"ratings\""), "{ratings}");
    for gateway in [
        "http://istio-ingressgateway.istio-system/productpage",
        "http://bookinfo-gateway-istio.default/productpage",
    ] {
        let page = curl(&mesh, "curl", gateway);
        assert!(
            page.contains("<title>Simple Bookstore App</title>"),
            "{gateway}: {page}"
        );
    }
}

#[actix_web::test]
async fn exit_codes_and_output_pass_through_and_unknown_workloads_are_named() {
    let mesh = spawn_mesh_with_gateway("exec_exit_codes").await;
    if !running_as_root() {
        return;
    }
    let output = mesh.exec("curl", &["sh", "-c", "echo out; echo err >&2; exit 7"]);
    assert_eq!(output.status.code(), Some(7));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "out\n");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "err\ncommand terminated with exit code 7\n"
    );

    let output = mesh.exec("curl", &["cat", "/etc/hosts"]);
    let hosts = String::from_utf8_lossy(&output.stdout);
    assert!(
        hosts.contains(" productpage.default.svc.cluster.local"),
        "{hosts}"
    );

    let output = mesh.exec("nobody", &["true"]);
    assert_eq!(output.status.code(), Some(125));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no workload \"nobody\""), "{stderr}");
    assert!(stderr.contains("productpage-v1"), "{stderr}");
}
