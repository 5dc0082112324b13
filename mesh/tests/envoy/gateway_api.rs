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
async fn header_filters_reach_the_backend_and_the_client() {
    let mesh = spawn_mesh();
    mesh.apply(BOOKINFO_VERSIONS);
    mesh.apply(&service_route(
        "details",
        r#"  - matches:
    - path: {type: PathPrefix, value: /moved}
    filters:
    - type: RequestRedirect
      requestRedirect: {hostname: example.com, statusCode: 301}
  - filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: x-route, value: gateway-api}]
        remove: [x-secret]
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        add: [{name: x-answered-by, value: details}]
    backendRefs:
    - {name: details-v1, port: 9080}
"#,
    ));

    let address = mesh.mesh.outbound("details").unwrap();
    let answer = mesh
        .get(
            &format!("http://{address}/details/0"),
            &[("x-secret", "s3cret")],
        )
        .await;
    let moved = mesh.call("details", "/moved/here", &[]).await;

    assert_eq!(answer.status, 200);
    let received = mesh.backend("details", "v1").requests();
    let request = received.last().expect("details received the call");
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    assert_eq!(header("x-route").as_deref(), Some("gateway-api"));
    assert_eq!(header("x-secret"), None);
    assert_eq!(moved.status, 301);
    assert_eq!(received.len(), 1, "the redirect reached no backend");
}

#[actix_web::test]
async fn a_rewrite_changes_path_and_host_and_a_mirror_gets_a_copy() {
    let mesh = spawn_mesh();
    mesh.apply(BOOKINFO_VERSIONS);
    mesh.apply(&service_route(
        "reviews",
        r#"  - matches:
    - path: {type: PathPrefix, value: /old}
    filters:
    - type: URLRewrite
      urlRewrite:
        hostname: rewritten.example
        path: {type: ReplacePrefixMatch, replacePrefixMatch: /reviews}
    backendRefs:
    - {name: reviews-v1, port: 9080}
  - matches:
    - path: {type: Exact, value: /whole}
    filters:
    - type: URLRewrite
      urlRewrite:
        path: {type: ReplaceFullPath, replaceFullPath: /reviews/0}
    - type: RequestMirror
      requestMirror:
        backendRef: {name: reviews-v3, port: 9080}
    backendRefs:
    - {name: reviews-v2, port: 9080}
"#,
    ));

    let prefixed = mesh.call("reviews", "/old/7", &[]).await;
    let whole = mesh.call("reviews", "/whole", &[]).await;

    assert_eq!(
        (prefixed.status, prefixed.version()),
        (200, "v1".to_owned())
    );
    let received = mesh.backend("reviews", "v1").requests();
    assert_eq!(received[0].path, "/reviews/7");
    let host = received[0]
        .headers
        .iter()
        .find(|(name, _)| name == "host")
        .map(|(_, value)| value.as_str());
    assert_eq!(host, Some("rewritten.example"));
    assert_eq!((whole.status, whole.version()), (200, "v2".to_owned()));
    assert_eq!(
        mesh.backend("reviews", "v2").requests()[0].path,
        "/reviews/0"
    );
    // The mirror's copy is sent alongside, without waiting for it.
    let mirrored = eventually(std::time::Duration::from_secs(5), || {
        mesh.received("reviews", "v3") == 1
    })
    .await;
    assert!(mirrored, "reviews v3 got no mirrored copy");
}
