//! What upstream leaves hanging or answers bare: other methods get 405 with `Allow`, unknown
//! paths 404, both with a short JSON message.

use actix_web::http::Method;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn ratings_returns_405_with_allow_when_the_method_is_not_get_or_post() {
    let app = spawn_app().await;
    let cases = [
        (Method::PUT, "/ratings/0", "GET, HEAD, POST, OPTIONS"),
        (Method::DELETE, "/ratings/0", "GET, HEAD, POST, OPTIONS"),
        (Method::PATCH, "/ratings/abc", "GET, HEAD, POST, OPTIONS"),
        (Method::PUT, "/health", "GET, HEAD, OPTIONS"),
        (Method::DELETE, "/health", "GET, HEAD, OPTIONS"),
        (Method::POST, "/health", "GET, HEAD, OPTIONS"),
    ];

    for (method, path, allow) in cases {
        let response = app.request(method.clone(), path, None).await;

        assert_eq!(response.status.as_u16(), 405, "{method} {path}");
        assert_eq!(response.header("allow"), allow, "{method} {path}");
        assert_eq!(response.header("content-type"), "application/json");
        assert_eq!(response.body, r#"{"error":"method not allowed"}"#);
    }
}

#[actix_web::test]
async fn ratings_returns_204_with_allow_when_asked_with_options() {
    let app = spawn_app().await;

    let response = app.request(Method::OPTIONS, "/ratings/0", None).await;

    assert_eq!(response.status.as_u16(), 204);
    assert_eq!(response.header("allow"), "GET, HEAD, POST, OPTIONS");
}

#[actix_web::test]
async fn unknown_paths_return_404_with_a_short_message() {
    let app = spawn_app().await;
    let cases = [
        (Method::GET, "/"),
        (Method::GET, "/ratings"),
        (Method::GET, "/ratingsfoo"),
        (Method::GET, "/health/"),
        (Method::GET, "/Ratings/0"),
        (Method::POST, "/ratings"),
        (Method::PUT, "/nothing"),
    ];

    for (method, path) in cases {
        let response = app.request(method.clone(), path, None).await;

        assert_eq!(response.status.as_u16(), 404, "{method} {path}");
        assert_eq!(response.header("content-type"), "application/json");
        assert_eq!(response.body, r#"{"error":"not found"}"#, "{method} {path}");
    }
}

#[actix_web::test]
async fn requests_under_ratings_are_counted_under_its_pattern() {
    let app = spawn_app().await;

    app.get_ratings("0").await;
    app.get_ratings("abc").await;
    app.request(Method::DELETE, "/ratings/0", None).await;
    app.request(Method::GET, "/ratings", None).await;
    let metrics = app.request(Method::GET, "/metrics", None).await.body;

    for (series, count) in [
        (r#"method="GET",route="/ratings/{rest:.*}",status="200""#, 1),
        (r#"method="GET",route="/ratings/{rest:.*}",status="400""#, 1),
        (
            r#"method="DELETE",route="/ratings/{rest:.*}",status="405""#,
            1,
        ),
    ] {
        let line = format!("http_server_request_duration_seconds_count{{{series}}} {count}");
        assert!(metrics.contains(&line), "{line} in\n{metrics}");
    }
}
