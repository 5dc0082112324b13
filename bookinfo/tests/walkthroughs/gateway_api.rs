//! The Gateway API tab of each walkthrough (Getting Started, the Bookinfo example page, request
//! routing, traffic shifting, request timeouts), step by step, checked as istio.io's task
//! scripts check it with `GATEWAY_API=true`: same files, same inline resources, same strings.

use crate::helpers::{Stars, count, repository_path, spawn_mesh, spawn_mesh_with_gateway_api};
use crate::request_timeouts::RATINGS_DELAYED_2S;

const TITLE: &str = "<title>Simple Bookstore App</title>";

/// An HTTPRoute for reviews as the task pages write it (a Service parent), with `rules`.
pub fn reviews_route(rules: &str) -> String {
    format!(
        r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: reviews
spec:
  parentRefs:
  - group: ""
    kind: Service
    name: reviews
    port: 9080
  rules:
{rules}"#
    )
}

#[actix_web::test]
async fn getting_started_opens_the_page_through_the_gateway() {
    let mesh = spawn_mesh("gateway_api_getting_started").await;
    assert_eq!(mesh.anonymous_page().await.status, 404);

    // snip_deploy_bookinfo_gateway
    let applied = mesh.apply_repository_file("gateway-api/bookinfo-gateway.yaml");
    assert_eq!(
        applied,
        "gateway.gateway.networking.k8s.io/bookinfo-gateway created\n\
         httproute.gateway.networking.k8s.io/bookinfo created\n"
    );

    // kubectl wait --for=condition=programmed gtw bookinfo-gateway; the address is the ingress.
    let gateway = mesh.get_yaml("gtw", "bookinfo-gateway");
    assert!(gateway.contains("type: Programmed"), "{gateway}");
    assert!(
        gateway.contains(&format!("value: {}", mesh.local.ingress.ip())),
        "{gateway}"
    );

    // curl -s "http://${GATEWAY_URL}/productpage" | grep -o "<title>.*</title>"
    let page = mesh.anonymous_page().await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(TITLE), "{}", page.body);

    // snip_annotate_bookinfo_gateway, then snip_open_the_application_to_outside_traffic_3.
    let annotated = mesh::read_manifests(&repository_path("gateway-api/bookinfo-gateway.yaml"))
        .unwrap()
        .replacen(
            "  name: bookinfo-gateway\n",
            "  name: bookinfo-gateway\n  annotations:\n    networking.istio.io/service-type: ClusterIP\n",
            1,
        );
    let applied = mesh.apply(&annotated);
    assert!(
        applied.contains("gateway.gateway.networking.k8s.io/bookinfo-gateway configured"),
        "{applied}"
    );
    // From another shell, as the guide's `kubectl get gateway`.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_bookinfo"))
        .args(["mesh", "get", "gateway", "--dir"])
        .arg(mesh.local.mesh().control().work_dir())
        .output()
        .expect("bookinfo runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let listed = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut lines = listed.lines();
    let columns: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(columns, ["NAME", "CLASS", "ADDRESS", "PROGRAMMED", "AGE"]);
    let row: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        row[..4],
        [
            "bookinfo-gateway",
            "istio",
            "bookinfo-gateway-istio.default.svc.cluster.local",
            "True"
        ]
    );
    assert!(mesh.anonymous_page().await.body.contains(TITLE));
}

#[actix_web::test]
async fn the_bookinfo_example_defines_the_versions_and_still_serves_the_page() {
    let mesh = spawn_mesh("gateway_api_bookinfo_example").await;
    mesh.apply_repository_file("gateway-api/bookinfo-gateway.yaml");
    let page = mesh.anonymous_page().await;
    assert!(page.body.contains(TITLE), "{}", page.body);

    // snip_define_the_service_versions_3
    let applied = mesh.apply_repository_file("platform/kube/bookinfo-versions.yaml");
    for service in [
        "reviews-v1",
        "reviews-v2",
        "reviews-v3",
        "productpage-v1",
        "ratings-v1",
        "details-v1",
    ] {
        assert!(
            applied.contains(&format!("service/{service} created")),
            "{applied}"
        );
    }
    // Without a route, the page still balances reviews over every version.
    let seen = mesh.stars_over(30, None).await;
    assert_eq!(seen.len(), 30);
    assert!(count(&seen, Stars::None) > 0, "{seen:?}");
    assert!(count(&seen, Stars::None) < 30, "{seen:?}");
}

#[actix_web::test]
async fn request_routing_sends_everyone_to_v1_then_jason_to_v2() {
    let mesh = spawn_mesh_with_gateway_api("gateway_api_request_routing").await;

    // snip_route_to_version_1_2
    mesh.apply(&reviews_route(
        "  - backendRefs:\n    - name: reviews-v1\n      port: 9080\n",
    ));
    // snip_route_to_version_1_5, checked as the script checks it.
    let route = mesh.get_yaml("httproute", "reviews");
    assert!(route.contains("message: Route was valid"), "{route}");
    assert!(route.contains("reason: Accepted"), "{route}");
    let anonymous = mesh.stars_over(10, None).await;
    assert_eq!(count(&anonymous, Stars::None), 10, "v1: {anonymous:?}");

    // snip_route_based_on_user_identity_3
    mesh.apply(&reviews_route(
        "  - matches:
    - headers:
      - name: end-user
        value: jason
    backendRefs:
    - name: reviews-v2
      port: 9080
  - backendRefs:
    - name: reviews-v1
      port: 9080
",
    ));
    let jason = mesh.login("jason").await;
    let as_jason = mesh.stars_over(10, Some(&jason)).await;
    assert_eq!(count(&as_jason, Stars::Black), 10, "jason: {as_jason:?}");
    let anonymous = mesh.stars_over(10, None).await;
    assert_eq!(count(&anonymous, Stars::None), 10, "others: {anonymous:?}");
}

#[actix_web::test]
async fn traffic_shifting_moves_reviews_from_v1_to_v3_by_weight() {
    let mesh = spawn_mesh_with_gateway_api("gateway_api_traffic_shifting").await;

    // snip_gtw_config_all_v1
    let applied = mesh.apply_repository_file("gateway-api/route-reviews-v1.yaml");
    assert_eq!(
        applied,
        "httproute.gateway.networking.k8s.io/reviews created\n"
    );
    let seen = mesh.stars_over(100, None).await;
    assert_eq!(count(&seen, Stars::None), 100, "v1: {seen:?}");

    // snip_gtw_config_50_v3; the script accepts 50 ± 10, this allows ±4 standard deviations
    // so it cannot flake, and still fails if the weights were ignored (v3 on every page).
    let applied = mesh.apply_repository_file("gateway-api/route-reviews-50-v3.yaml");
    assert_eq!(
        applied,
        "httproute.gateway.networking.k8s.io/reviews configured\n"
    );
    // snip_gtw_verify_config_50_v3
    let route = mesh.get_yaml("httproute", "reviews");
    assert!(route.contains("message: Route was valid"), "{route}");
    assert!(route.contains("reason: Accepted"), "{route}");
    let seen = mesh.stars_over(100, None).await;
    let red = count(&seen, Stars::Red);
    assert!((30..=70).contains(&red), "50-v3: red on {red} of 100");
    assert_eq!(
        red + count(&seen, Stars::None),
        100,
        "only v1 and v3: {seen:?}"
    );

    // snip_gtw_config_100_v3
    mesh.apply_repository_file("gateway-api/route-reviews-v3.yaml");
    let seen = mesh.stars_over(100, None).await;
    assert_eq!(count(&seen, Stars::Red), 100, "v3: {seen:?}");
}

#[actix_web::test]
async fn request_timeouts_an_httproute_timeout_beside_a_virtual_service_delay() {
    let mesh = spawn_mesh_with_gateway_api("gateway_api_request_timeouts").await;

    // snip_request_timeouts_2
    mesh.apply(&reviews_route(
        "  - backendRefs:\n    - name: reviews-v2\n      port: 9080\n",
    ));
    // snip_request_timeouts_4: the Istio API beside the Gateway API, no DestinationRule needed.
    mesh.apply(&RATINGS_DELAYED_2S.replace("        subset: v1\n", ""));
    let slow = mesh.anonymous_page().await;
    assert_eq!(slow.status, 200, "{}", slow.body);
    assert!(
        slow.body.contains("glyphicon glyphicon-star"),
        "{}",
        slow.body
    );

    // snip_request_timeouts_6
    mesh.apply(&reviews_route(
        "  - backendRefs:
    - name: reviews-v2
      port: 9080
    timeouts:
      request: 500ms
",
    ));
    let cut_short = mesh.anonymous_page().await;
    assert_eq!(cut_short.status, 200, "{}", cut_short.body);
    assert!(
        cut_short
            .body
            .contains("Sorry, product reviews are currently unavailable for this book."),
        "{}",
        cut_short.body
    );
}
