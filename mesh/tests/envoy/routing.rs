//! Request routing and traffic shifting through Envoy, as the request-routing and
//! traffic-shifting tasks check them.

use crate::fixtures::*;
use crate::helpers::*;

const JASON: [(&str, &str); 1] = [("end-user", "jason")];

#[actix_web::test]
async fn without_virtual_services_requests_spread_over_every_version() {
    let mesh = spawn_mesh();

    let seen = mesh.versions("reviews", 30, &[]).await;

    for version in ["v1", "v2", "v3"] {
        assert!(
            seen.contains_key(version),
            "{version} never answered: {seen:?}"
        );
    }
}

#[actix_web::test]
async fn reviews_test_v2_sends_end_user_jason_to_v2_and_everyone_else_to_v1() {
    let mesh = spawn_mesh();
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(REVIEWS_TEST_V2);

    let jason = mesh.versions("reviews", 10, &JASON).await;
    let others = mesh.versions("reviews", 10, &[("end-user", "alice")]).await;
    let anonymous = mesh.versions("reviews", 10, &[]).await;

    assert_eq!(jason.get("v2"), Some(&10), "{jason:?}");
    assert_eq!(others.get("v1"), Some(&10), "{others:?}");
    assert_eq!(anonymous.get("v1"), Some(&10), "{anonymous:?}");
}

#[actix_web::test]
async fn a_fifty_fifty_split_stays_within_bounds_over_100_requests() {
    let mesh = spawn_mesh();
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(REVIEWS_50_V3);

    let seen = mesh.versions("reviews", 100, &[]).await;

    let v1 = seen.get("v1").copied().unwrap_or(0);
    let v3 = seen.get("v3").copied().unwrap_or(0);
    assert_eq!(v1 + v3, 100, "only v1 and v3 answer: {seen:?}");
    // Four standard deviations either side of 50: a false alarm about once in 16,000 runs.
    assert!((30..=70).contains(&v3), "{seen:?}");
}

#[actix_web::test]
async fn all_v1_then_v3_shifts_all_traffic() {
    let mesh = spawn_mesh();
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(ALL_V1);
    let before = mesh.versions("reviews", 10, &[]).await;

    mesh.apply(REVIEWS_V3);
    let after = mesh.versions("reviews", 10, &[]).await;

    assert_eq!(before.get("v1"), Some(&10), "{before:?}");
    assert_eq!(after.get("v3"), Some(&10), "{after:?}");
}

#[actix_web::test]
async fn a_subset_no_destination_rule_defines_answers_503_as_on_a_cluster() {
    let mesh = spawn_mesh();

    let applied = mesh.apply(ALL_V1);
    let answer = mesh.call("reviews", "/reviews/0", &[]).await;

    assert_eq!(answer.status, 503);
    assert!(
        applied
            .warnings
            .iter()
            .any(|warning| warning.contains("subset v1")),
        "{applied}"
    );
}

#[actix_web::test]
async fn the_ingress_answers_404_until_the_gateway_is_applied() {
    let mesh = spawn_mesh();

    let before = mesh.ingress("/productpage").await;
    let applied = mesh.apply(GATEWAY);
    let page = mesh.ingress("/productpage").await;
    let health = mesh.ingress("/health").await;
    let login = mesh.login_through_ingress("jason").await;

    assert_eq!(before.status, 404);
    assert_eq!(
        applied.to_string(),
        "gateway.networking.istio.io/bookinfo-gateway created\nvirtualservice.networking.istio.io/bookinfo created\n"
    );
    assert_eq!((page.status, page.version()), (200, "v1".to_owned()));
    assert_eq!(health.status, 404, "only the five paths are exposed");
    assert_eq!(login.status, 200);
    let posted = mesh
        .backend("productpage", "v1")
        .requests()
        .into_iter()
        .find(|request| request.path == "/login")
        .expect("login reached productpage");
    assert_eq!(posted.method, "POST");
}

#[actix_web::test]
async fn a_gateway_for_one_host_routes_only_requests_for_that_host() {
    let mesh = spawn_mesh();
    let one_host = GATEWAY.replace(
        "    hosts:\n    - \"*\"\n---",
        "    hosts:\n    - \"*.example.com\"\n---",
    );
    let one_host = one_host.replace(
        "  hosts:\n  - \"*\"\n  gateways",
        "  hosts:\n  - \"bookinfo.example.com\"\n  gateways",
    );
    mesh.apply(&one_host);
    let url = format!("{}/productpage", mesh.mesh.ingress_url());

    let named = mesh.get(&url, &[("host", "bookinfo.example.com")]).await;
    let with_port = mesh
        .get(&url, &[("host", "bookinfo.example.com:8080")])
        .await;
    let other = mesh.get(&url, &[("host", "elsewhere.example.com")]).await;

    assert_eq!(named.status, 200);
    assert_eq!(with_port.status, 200);
    assert_eq!(other.status, 404);
}
