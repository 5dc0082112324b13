//! `GET /health`: upstream's bytes, whatever the version and whatever ratings does.

use actix_web::http::Method;

use crate::helpers::TestApp;

#[actix_web::test]
async fn health_returns_200_with_upstreams_exact_body() {
    let app = TestApp::builder()
        .version("v2")
        .ratings_down()
        .spawn()
        .await;

    let response = app.health().await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body, r#"{"status": "Reviews is healthy"}"#);
    assert!(
        app.ratings.requests().is_empty(),
        "health never calls ratings"
    );
}

#[actix_web::test]
async fn health_returns_200_without_a_body_when_asked_with_head() {
    let app = TestApp::builder().version("v1").spawn().await;

    let response = app.request(Method::HEAD, "/health", &[], None).await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body, "");
}
