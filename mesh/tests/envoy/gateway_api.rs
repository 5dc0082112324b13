//! The Gateway API on a real Envoy: the Gateway's listener is the ingress, an HTTPRoute with a
//! Service parent routes calls between services, filters and a missing backend behave as on a
//! cluster.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::gateway_api_fixtures::*;
use crate::helpers::*;

#[actix_web::test]
async fn the_gateway_and_its_route_serve_productpage_paths_and_nothing_else() {
    let mesh = spawn_mesh();
    assert_eq!(mesh.ingress("/productpage").await.status, 404);

    let applied = mesh.apply(BOOKINFO_GATEWAY).to_string();

    assert!(
        applied.contains("gateway.gateway.networking.k8s.io/bookinfo-gateway created"),
        "{applied}"
    );
    let page = mesh.ingress("/productpage").await;
    assert_eq!((page.status, page.version()), (200, "v1".to_owned()));
    assert_eq!(mesh.ingress("/static/css/x.css").await.status, 200);
    // PathPrefix matches whole segments, and other paths match no rule.
    assert_eq!(mesh.ingress("/staticx").await.status, 404);
    assert_eq!(mesh.ingress("/reviews/0").await.status, 404);
    assert_eq!(mesh.received("productpage", "v1"), 2);
}

#[actix_web::test]
async fn service_routes_send_jason_to_v2_and_everyone_else_to_v1() {
    let mesh = spawn_mesh();
    mesh.apply(BOOKINFO_VERSIONS);
    mesh.apply(&route_reviews_jason_v2());

    let jason = mesh.versions("reviews", 10, &[("end-user", "jason")]).await;
    let anonymous = mesh.versions("reviews", 10, &[]).await;

    assert_eq!(jason.get("v2"), Some(&10), "{jason:?}");
    assert_eq!(anonymous.get("v1"), Some(&10), "{anonymous:?}");
}

#[actix_web::test]
async fn a_route_to_a_missing_service_answers_500_until_the_service_exists() {
    let mesh = spawn_mesh();
    let applied = mesh.apply(ROUTE_REVIEWS_V3);
    assert!(
        applied
            .warnings
            .iter()
            .any(|warning| warning.contains("reviews-v3")),
        "{applied}"
    );

    assert_eq!(mesh.call("reviews", "/reviews/0", &[]).await.status, 500);

    mesh.apply(BOOKINFO_VERSIONS);
    let seen = mesh.versions("reviews", 5, &[]).await;
    assert_eq!(seen.get("v3"), Some(&5), "{seen:?}");
}

#[actix_web::test]
async fn filters_redirect_rewrite_edit_headers_and_mirror_real_requests() {
    let mesh = spawn_mesh();
    mesh.apply(BOOKINFO_VERSIONS);
    mesh.apply(&reviews_filters_route());

    let moved = mesh.call("reviews", "/old/here", &[]).await;
    let full = mesh.call("reviews", "/full", &[]).await;
    let prefixed = mesh.call("reviews", "/api/7", &[]).await;
    let edited = mesh
        .call("reviews", "/reviews/1", &[("x-gone", "s3cret")])
        .await;

    assert_eq!(moved.status, 301);
    assert_eq!((full.status, full.version()), (200, "v1".to_owned()));
    assert_eq!(
        (prefixed.status, prefixed.version()),
        (200, "v1".to_owned())
    );
    let v1 = mesh.backend("reviews", "v1").requests();
    assert_eq!(v1[0].path, "/reviews/0");
    assert_eq!(v1[0].header("host"), Some("elsewhere"));
    assert_eq!(v1[1].path, "/reviews/7");
    assert_eq!((edited.status, edited.version()), (200, "v2".to_owned()));
    let v2 = mesh.backend("reviews", "v2").requests();
    assert_eq!(v2[0].header("x-set"), Some("one"));
    assert_eq!(v2[0].header("x-add"), Some("two"));
    assert_eq!(v2[0].header("x-gone"), None);
    // The mirror's copy is sent alongside, without waiting for it; the redirect reached no one.
    let mirrored = eventually(std::time::Duration::from_secs(5), || {
        mesh.received("reviews", "v3") == 1
    })
    .await;
    assert!(mirrored, "reviews v3 got no mirrored copy");
    assert_eq!(v1.len() + v2.len(), 3);
}
