use actix_web::http::{Method, StatusCode};

use crate::helpers::{BOOK_0, spawn_app};

#[actix_web::test]
async fn details_and_health_return_200_for_post_and_put_as_upstream_does() {
    let app = spawn_app().await;

    for method in [Method::POST, Method::PUT] {
        let details = app.send(method.clone(), "/details/0").await;
        let health = app.send(method.clone(), "/health").await;

        assert_eq!(details.status, StatusCode::OK, "{method}");
        assert_eq!(details.body, BOOK_0, "{method}");
        assert_eq!(health.status, StatusCode::OK, "{method}");
        assert_eq!(
            health.body, r#"{"status":"Details is healthy"}"#,
            "{method}"
        );
    }
}

#[actix_web::test]
async fn details_returns_200_without_a_body_for_head() {
    let app = spawn_app().await;

    let response = app.request(Method::HEAD, "/details/0", &[], None).await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body, "");
}

#[actix_web::test]
async fn details_returns_200_with_allow_for_options() {
    let app = spawn_app().await;

    for path in ["/details/0", "/health"] {
        let response = app.send(Method::OPTIONS, path).await;

        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert_eq!(
            response.header("allow"),
            "GET, HEAD, OPTIONS, POST, PUT",
            "{path}"
        );
    }
}

#[actix_web::test]
async fn details_returns_405_with_allow_when_the_method_is_not_served() {
    let app = spawn_app().await;

    for method in [Method::DELETE, Method::PATCH, Method::TRACE] {
        for path in ["/details/0", "/health"] {
            let response = app.send(method.clone(), path).await;

            assert_eq!(
                response.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            assert_eq!(
                response.header("allow"),
                "GET, HEAD, OPTIONS, POST, PUT",
                "{method} {path}"
            );
            assert_eq!(
                response.error_message(),
                format!("method {method} is not allowed"),
                "{method} {path}"
            );
        }
    }
}

#[actix_web::test]
async fn unknown_path_returns_404_with_a_json_message() {
    let app = spawn_app().await;
    let cases = [
        ("/", "the root"),
        ("/detailsx", "a longer name is not below the mount"),
        ("/details0", "neither is a digit right after it"),
        ("/healthz", "nor for health"),
        ("/api/v1/products/0", "productpage's API"),
        ("/ratings/0", "a sibling's route"),
    ];
    for (path, why) in cases {
        for method in [Method::GET, Method::DELETE] {
            let response = app.send(method.clone(), path).await;

            assert_eq!(
                response.status,
                StatusCode::NOT_FOUND,
                "{method} {path} ({why})"
            );
            assert_eq!(response.error_message(), "not found", "{method} {path}");
        }
    }
}

#[actix_web::test]
async fn requests_under_a_mount_are_counted_under_its_prefix() {
    let app = spawn_app().await;

    for path in ["/details/0", "/details/0/7", "/details"] {
        app.get(path).await;
    }
    app.send(Method::DELETE, "/details/0").await;
    let metrics = app.get("/metrics").await.body;

    for (series, count) in [
        (r#"method="GET",route="/details",status="200""#, 2),
        (r#"method="GET",route="/details",status="400""#, 1),
        (r#"method="DELETE",route="/details",status="405""#, 1),
    ] {
        let line = format!("http_server_request_duration_seconds_count{{{series}}} {count}");
        assert!(metrics.contains(&line), "{line} in\n{metrics}");
    }
}
