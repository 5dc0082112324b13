//! Waypoints: `bookinfo mesh waypoint apply|delete` from another shell, printing what
//! istioctl prints, and the waypoint Gateway it stores, shown by `get gtw`.

use std::process::Output;

use crate::helpers::{Stars, TestMesh, spawn_mesh_with_gateway_api, stdout};

/// `bookinfo mesh SUBCOMMAND --dir DIR ARGS...`, as a user in another shell.
fn bookinfo(mesh: &TestMesh, subcommand: &[&str], args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_bookinfo"))
        .arg("mesh")
        .args(subcommand)
        .arg("--dir")
        .arg(mesh.local.mesh().control().work_dir())
        .args(args)
        .output()
        .expect("bookinfo runs")
}

#[actix_web::test]
async fn waypoint_apply_and_delete_print_what_istioctl_prints() {
    let mesh = spawn_mesh_with_gateway_api("waypoint_cli").await;
    let labeled = bookinfo(
        &mesh,
        &["label"],
        &["namespace", "default", "istio.io/dataplane-mode=ambient"],
    );
    assert_eq!(stdout(&labeled), "namespace/default labeled\n");

    let applied = bookinfo(
        &mesh,
        &["waypoint", "apply"],
        &["--enroll-namespace", "--wait"],
    );
    assert_eq!(
        stdout(&applied),
        "✅ waypoint default/waypoint applied\n\
         ✅ waypoint default/waypoint is ready!\n\
         ✅ namespace default labeled with \"istio.io/use-waypoint: waypoint\"\n"
    );
    let again = bookinfo(&mesh, &["waypoint", "apply"], &["--enroll-namespace"]);
    assert_eq!(
        stdout(&again),
        "⚠️ Warning: namespace (default) already has an enrolled Waypoint. Consider adding the \
         `--overwrite` flag to your apply command.\n"
    );

    let listed = stdout(&bookinfo(&mesh, &["get"], &["gtw", "waypoint"]));
    let mut lines = listed.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["NAME", "CLASS", "ADDRESS", "PROGRAMMED", "AGE"],
        "{listed}"
    );
    let row: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        row[..4],
        [
            "waypoint",
            "istio-waypoint",
            "waypoint.default.svc.cluster.local",
            "True"
        ],
        "{listed}"
    );
    let labels = stdout(&bookinfo(
        &mesh,
        &["get"],
        &["namespace", "default", "--show-labels"],
    ));
    assert!(
        labels.contains("istio.io/use-waypoint=waypoint"),
        "{labels}"
    );
    // The ingress still serves the page: a waypoint is no ingress listener.
    assert_eq!(mesh.anonymous_page().await.status, 200);

    let deleted = bookinfo(&mesh, &["waypoint", "delete"], &["waypoint", "other"]);
    assert_eq!(
        stdout(&deleted),
        "waypoint default/other not found\nwaypoint default/waypoint deleted\n"
    );
    let none = bookinfo(&mesh, &["waypoint", "delete"], &["--all"]);
    assert_eq!(stdout(&none), "");
    let refused = bookinfo(&mesh, &["waypoint", "delete"], &[]);
    assert_eq!(refused.status.code(), Some(2));
}

#[actix_web::test]
async fn a_waypoint_gateway_applied_as_yaml_is_stored_and_checked() {
    let mesh = spawn_mesh_with_gateway_api("waypoint_yaml").await;
    let yaml = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: reviews-waypoint\nspec:\n  gatewayClassName: istio-waypoint\n  listeners:\n  - name: mesh\n    port: 15008\n    protocol: HBONE\n";
    let applied = mesh.apply(yaml);
    assert!(applied.contains("reviews-waypoint created"), "{applied}");
    let shown = stdout(&bookinfo(&mesh, &["get"], &["gateway", "reviews-waypoint"]));
    assert!(shown.contains("istio-waypoint"), "{shown}");
    let deleted = bookinfo(&mesh, &["waypoint", "delete"], &["--all"]);
    assert_eq!(
        stdout(&deleted),
        "waypoint default/reviews-waypoint deleted\n"
    );
}

#[actix_web::test]
async fn a_service_labelled_with_a_waypoint_is_routed_there_alone() {
    let mesh = spawn_mesh_with_gateway_api("waypoint_service_label").await;
    let ambient = bookinfo(
        &mesh,
        &["label"],
        &["namespace", "default", "istio.io/dataplane-mode=ambient"],
    );
    assert_eq!(stdout(&ambient), "namespace/default labeled\n");
    // The waypoint, its namespace not enrolled; the route sends every reviews call to v3.
    let applied = bookinfo(&mesh, &["waypoint", "apply"], &["--wait"]);
    assert!(
        stdout(&applied).contains("waypoint default/waypoint is ready!"),
        "{}",
        stdout(&applied)
    );
    let route = mesh.apply_repository_file("gateway-api/route-reviews-v3.yaml");
    assert!(
        route.contains("Service default/reviews is not bound to a waypoint"),
        "the route carries no traffic yet, and apply says so: {route}"
    );

    let labelled = bookinfo(
        &mesh,
        &["label"],
        &["service", "reviews", "istio.io/use-waypoint=waypoint"],
    );
    assert_eq!(stdout(&labelled), "service/reviews labeled\n");
    let shown = stdout(&bookinfo(
        &mesh,
        &["get"],
        &["svc", "reviews", "--show-labels"],
    ));
    assert!(shown.contains("istio.io/use-waypoint=waypoint"), "{shown}");
    let status = mesh.get_yaml("httproute", "reviews");
    assert!(!status.contains("not bound to a waypoint"), "{status}");
    let seen = mesh.stars_over(6, None).await;
    assert!(
        seen.iter().all(|stars| *stars == Stars::Red),
        "every page from reviews v3 through the waypoint: {seen:?}"
    );

    // `none` keeps the Service off every waypoint: the node proxy rotates the versions again.
    let opted_out = bookinfo(
        &mesh,
        &["label"],
        &[
            "svc",
            "reviews",
            "istio.io/use-waypoint=none",
            "--overwrite",
        ],
    );
    let opted_out = stdout(&opted_out);
    assert!(
        opted_out.starts_with("service/reviews labeled\n")
            && opted_out.contains("Service default/reviews is not bound to a waypoint"),
        "the route is idle again, and label says so: {opted_out}"
    );
    let seen = mesh.stars_over(6, None).await;
    assert!(
        seen.iter().any(|stars| *stars != Stars::Red),
        "reviews rotate per connection again: {seen:?}"
    );

    let missing = bookinfo(&mesh, &["label"], &["svc", "nope", "a=b"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("services \"nope\" not found"),
        "{missing:?}"
    );
}
