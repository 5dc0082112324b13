//! Paths and methods: exact paths, 404 and 405 answers with messages, HEAD and OPTIONS.

use actix_web::http::Method;

use crate::helpers::spawn_version;

#[actix_web::test]
async fn unknown_paths_and_trailing_slashes_return_404_with_a_message() {
    let app = spawn_version("v2").await;

    for path in [
        "/",
        "/rest",
        "/index.html",
        "/reviews",
        "/reviews/",
        "/reviews/0/",
        "/reviews/0/ratings",
        "/health/",
        "/ratings/0",
    ] {
        let response = app.get(path).await;

        assert_eq!(response.status.as_u16(), 404, "{path}");
        assert_eq!(
            response.header("content-type"),
            "application/json",
            "{path}"
        );
        assert!(
            response.json()["error"]
                .as_str()
                .unwrap()
                .starts_with("Not found"),
            "{path}: {}",
            response.body
        );
    }
    assert!(app.ratings.requests().is_empty());
}

#[actix_web::test]
async fn wrong_methods_return_405_with_allow() {
    let app = spawn_version("v2").await;

    for (method, path) in [
        (Method::POST, "/reviews/0"),
        (Method::PUT, "/reviews/0"),
        (Method::DELETE, "/reviews/0"),
        (Method::PATCH, "/reviews/abc"),
        (Method::POST, "/health"),
    ] {
        let response = app.request(method.clone(), path, &[], Some("{}")).await;

        assert_eq!(response.status.as_u16(), 405, "{method} {path}");
        assert_eq!(
            response.header("allow"),
            "GET, HEAD, OPTIONS",
            "{method} {path}"
        );
        assert!(response.json()["error"].is_string(), "{method} {path}");
    }
    assert!(
        app.ratings.requests().is_empty(),
        "no ratings call for a refused method"
    );
}

#[actix_web::test]
async fn options_returns_204_with_allow() {
    let app = spawn_version("v1").await;

    for path in ["/reviews/0", "/health"] {
        let response = app.request(Method::OPTIONS, path, &[], None).await;

        assert_eq!(response.status.as_u16(), 204, "{path}");
        assert_eq!(response.header("allow"), "GET, HEAD, OPTIONS", "{path}");
    }
}

#[actix_web::test]
async fn head_returns_200_without_a_body() {
    let app = spawn_version("v1").await;

    let response = app.request(Method::HEAD, "/reviews/0", &[], None).await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body, "");
}
