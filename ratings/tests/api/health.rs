//! `GET /health`.

use actix_web::http::Method;

use crate::helpers::{HEALTHY, spawn_app};

#[actix_web::test]
async fn health_returns_200_with_upstreams_compact_json() {
    let app = spawn_app().await;

    let response = app.health().await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body, HEALTHY);
}

#[actix_web::test]
async fn health_returns_200_without_a_body_when_asked_with_head() {
    let app = spawn_app().await;

    let response = app.request(Method::HEAD, "/health", None).await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body, "");
}
