use actix_web::http::StatusCode;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn health_returns_200_with_upstreams_compact_json() {
    let app = spawn_app().await;

    let response = app.health().await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body, r#"{"status":"Details is healthy"}"#);
}

#[actix_web::test]
async fn health_returns_200_below_its_path_as_upstreams_prefix_mount_does() {
    let app = spawn_app().await;

    let response = app.get("/health/live").await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.body, r#"{"status":"Details is healthy"}"#);
}
