//! Paths and methods: exact paths, 404 and 405 answers, HEAD and OPTIONS, static assets.

use actix_web::http::Method;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn unknown_paths_and_trailing_slashes_return_404_with_a_message() {
    let app = spawn_app().await;

    for path in [
        "/nope",
        "/productpage/",
        "/health/",
        "/index.htm",
        "/api/v1/products/",
        "/api/v1/products/0/",
        "/api/v1/products/0/reviews/",
        "/api/v1/products/0/other",
        "/static/",
        "/static/img/missing.png",
        "/static/../Cargo.toml",
    ] {
        let response = app.get(path).await;

        assert_eq!(response.status.as_u16(), 404, "{path}");
        assert!(
            response.body.starts_with("Not found"),
            "{path}: {}",
            response.body
        );
    }
}

#[actix_web::test]
async fn wrong_methods_return_405_with_allow() {
    let app = spawn_app().await;
    let cases = [
        (Method::POST, "/productpage", "GET, HEAD, OPTIONS"),
        (Method::DELETE, "/productpage", "GET, HEAD, OPTIONS"),
        (Method::GET, "/login", "POST, OPTIONS"),
        (Method::POST, "/logout", "GET, HEAD, OPTIONS"),
        (Method::POST, "/api/v1/products", "GET, HEAD, OPTIONS"),
        (Method::PUT, "/api/v1/products/0", "GET, HEAD, OPTIONS"),
        (
            Method::POST,
            "/api/v1/products/0/ratings",
            "GET, HEAD, OPTIONS",
        ),
        (Method::POST, "/", "GET, HEAD, OPTIONS"),
        (Method::PUT, "/health", "GET, HEAD, OPTIONS"),
        (Method::POST, "/metrics", "GET, HEAD, OPTIONS"),
        (
            Method::POST,
            "/static/css/bookinfo.css",
            "GET, HEAD, OPTIONS",
        ),
    ];

    for (method, path, allow) in cases {
        let response = app.request(method.clone(), path, &[], None).await;

        assert_eq!(response.status.as_u16(), 405, "{method} {path}");
        assert_eq!(response.header("allow"), allow, "{method} {path}");
    }
    assert!(
        app.details.requests().is_empty(),
        "no backend call for a refused method"
    );
}

#[actix_web::test]
async fn options_returns_204_with_allow() {
    let app = spawn_app().await;

    for (path, allow) in [
        ("/productpage", "GET, HEAD, OPTIONS"),
        ("/login", "POST, OPTIONS"),
    ] {
        let response = app.request(Method::OPTIONS, path, &[], None).await;

        assert_eq!(response.status.as_u16(), 204, "{path}");
        assert_eq!(response.header("allow"), allow, "{path}");
    }
}

#[actix_web::test]
async fn head_returns_200_with_get_headers_and_no_body() {
    let app = spawn_app().await;

    for (path, content_type) in [
        ("/", "text/html; charset=utf-8"),
        ("/health", "text/html; charset=utf-8"),
        ("/productpage", "text/html; charset=utf-8"),
        ("/api/v1/products", "application/json"),
        ("/static/css/bookinfo.css", "text/css; charset=utf-8"),
    ] {
        let response = app.request(Method::HEAD, path, &[], None).await;

        assert_eq!(response.status.as_u16(), 200, "{path}");
        assert_eq!(response.header("content-type"), content_type, "{path}");
        assert!(response.body.is_empty(), "{path}");
    }
}

#[actix_web::test]
async fn static_assets_return_200_with_their_types_and_cache_headers() {
    let app = spawn_app().await;

    for (path, content_type) in [
        ("/static/css/bookinfo.css", "text/css; charset=utf-8"),
        ("/static/img/izzy.svg", "image/svg+xml"),
        ("/static/img/favicon.svg", "image/svg+xml"),
    ] {
        let response = app.get(path).await;

        assert_eq!(response.status.as_u16(), 200, "{path}");
        assert_eq!(response.header("content-type"), content_type, "{path}");
        assert_eq!(
            response.header("cache-control"),
            "public, max-age=300",
            "{path}"
        );
        assert_eq!(
            response.header("x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert!(!response.header("etag").is_empty(), "{path}");
        assert!(!response.body.is_empty(), "{path}");
    }
}

#[actix_web::test]
async fn static_avatar_png_returns_200_with_a_png_at_upstreams_path() {
    let app = spawn_app().await;
    let mut response = awc::Client::default()
        .get(app.url("/static/img/izzy.png"))
        .send()
        .await
        .unwrap();

    let bytes = response.body().await.unwrap();

    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers().get("content-type").unwrap(), "image/png");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG signature");
}

#[actix_web::test]
async fn static_assets_return_304_when_the_etag_still_matches() {
    let app = spawn_app().await;
    let etag = app
        .get("/static/css/bookinfo.css")
        .await
        .header("etag")
        .to_owned();

    let response = app
        .get_with("/static/css/bookinfo.css", &[("if-none-match", &etag)])
        .await;

    assert_eq!(response.status.as_u16(), 304);
    assert!(response.body.is_empty());
}
