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

#[actix_web::test]
async fn unknown_paths_are_404_whatever_the_method() {
    let app = spawn_version("v1").await;

    for (method, path) in [
        (Method::OPTIONS, "/reviews/0/"),
        (Method::DELETE, "/reviews/0/x"),
        (Method::OPTIONS, "/reviews"),
        (Method::POST, "/reviews/"),
        (Method::GET, "/reviewsx/0"),
    ] {
        let response = app.request(method.clone(), path, &[], None).await;

        assert_eq!(response.status.as_u16(), 404, "{method} {path}");
    }
}

#[actix_web::test]
async fn ids_are_read_as_actix_reads_a_path_segment() {
    let app = spawn_version("v1").await;

    // An escaped digit is the digit; an escaped slash stays escaped, so it is no id.
    let digit = app.get("/reviews/%31").await;
    let slash = app.get("/reviews/1%2F2").await;

    assert_eq!(digit.status.as_u16(), 200);
    assert_eq!(digit.json()["id"], "1");
    assert_eq!(slash.status.as_u16(), 404, "{}", slash.body);
}

#[actix_web::test]
async fn requests_are_counted_under_the_route_pattern() {
    let app = spawn_version("v1").await;

    app.get("/reviews/0").await;
    app.request(Method::DELETE, "/reviews/0", &[], None).await;
    let metrics = app.get("/metrics").await.body;

    for series in [
        r#"method="GET",route="/reviews/{id}",status="200""#,
        r#"method="DELETE",route="/reviews/{id}",status="405""#,
    ] {
        let line = format!("http_server_request_duration_seconds_count{{{series}}} 1");
        assert!(metrics.contains(&line), "{line} in\n{metrics}");
    }
}
