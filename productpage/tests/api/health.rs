//! `GET /health`.

use crate::helpers::spawn_app;

#[actix_web::test]
async fn health_returns_200_with_upstreams_exact_body_and_html_type() {
    let app = spawn_app().await;

    let response = app.health().await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(response.body, "Product page is healthy");
}

#[actix_web::test]
async fn health_returns_200_without_calling_any_backend() {
    let app = spawn_app().await;

    app.health().await;

    assert!(app.details.requests().is_empty());
    assert!(app.reviews.requests().is_empty());
    assert!(app.ratings.requests().is_empty());
}
