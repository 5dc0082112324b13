//! What productpage sends its backends: GET, the forwarded headers, and `end-user` only from the
//! session.

use crate::helpers::{TestApp, spawn_app};

/// Headers a mesh or a client sets, which every backend call must carry on.
const TRACE_AND_IDENTITY: [(&str, &str); 9] = [
    ("x-request-id", "3f2a9c1e-request"),
    ("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"),
    ("x-b3-spanid", "e457b5a2e4d86bd1"),
    ("x-b3-sampled", "1"),
    ("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1"),
    (
        "traceparent",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    ),
    ("tracestate", "vendor=opaque"),
    ("authorization", "Bearer token"),
    ("user-agent", "checker/1.0"),
];

fn end_users(app: &TestApp) -> Vec<Option<String>> {
    app.details
        .requests()
        .into_iter()
        .chain(app.reviews.requests())
        .chain(app.ratings.requests())
        .map(|request| request.header("end-user").map(str::to_owned))
        .collect()
}

#[actix_web::test]
async fn backends_receive_end_user_with_the_signed_in_user() {
    let app = spawn_app().await;
    let cookie = app.sign_in("jason").await;

    app.product_page_as(&cookie).await;
    app.get_with("/api/v1/products/0/ratings", &[("cookie", &cookie)])
        .await;

    let seen = end_users(&app);
    assert_eq!(seen.len(), 3, "details, reviews and ratings were called");
    assert!(
        seen.iter().all(|user| user.as_deref() == Some("jason")),
        "{seen:?}"
    );
}

#[actix_web::test]
async fn backends_receive_no_end_user_when_an_anonymous_request_carries_one() {
    let app = spawn_app().await;

    app.get_with("/productpage", &[("end-user", "jason")]).await;
    app.get_with("/api/v1/products/0/ratings", &[("end-user", "jason")])
        .await;

    let seen = end_users(&app);
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(Option::is_none), "{seen:?}");
}

#[actix_web::test]
async fn backends_receive_only_the_session_user_when_a_signed_in_request_forges_end_user() {
    let app = spawn_app().await;
    let cookie = app.sign_in("alice").await;

    app.get_with(
        "/productpage",
        &[("cookie", &cookie), ("end-user", "jason")],
    )
    .await;

    for request in app
        .details
        .requests()
        .into_iter()
        .chain(app.reviews.requests())
    {
        let values: Vec<_> = request
            .headers
            .iter()
            .filter(|(name, _)| name == "end-user")
            .collect();
        assert_eq!(values.len(), 1, "{:?}", request.headers);
        assert_eq!(values[0].1, "alice");
    }
}

#[actix_web::test]
async fn backends_receive_the_trace_and_identity_headers_and_the_cookie() {
    let app = spawn_app().await;
    let cookie = app.sign_in("jason").await;
    let mut headers = TRACE_AND_IDENTITY.to_vec();
    headers.push(("cookie", &cookie));

    app.get_with("/productpage", &headers).await;
    for path in [
        "/api/v1/products/0",
        "/api/v1/products/0/reviews",
        "/api/v1/products/0/ratings",
    ] {
        app.get_with(path, &headers).await;
    }

    let all = app
        .details
        .requests()
        .into_iter()
        .chain(app.reviews.requests())
        .chain(app.ratings.requests())
        .collect::<Vec<_>>();
    assert_eq!(all.len(), 5);
    for request in all {
        assert_eq!(request.method, "GET", "{}", request.path);
        for (name, value) in &headers {
            assert_eq!(
                request.header(name),
                Some(*value),
                "{name} on {}",
                request.path
            );
        }
    }
}

#[actix_web::test]
async fn backends_receive_no_header_that_is_not_on_the_forwarded_list() {
    let app = spawn_app().await;

    app.get_with(
        "/productpage",
        &[("x-secret-internal", "1"), ("x-forwarded-for", "10.0.0.1")],
    )
    .await;

    for request in app
        .details
        .requests()
        .into_iter()
        .chain(app.reviews.requests())
    {
        assert_eq!(request.header("x-secret-internal"), None);
        assert_eq!(request.header("x-forwarded-for"), None);
    }
}

#[actix_web::test]
async fn session_dependent_answers_return_vary_cookie() {
    let app = spawn_app().await;

    for path in [
        "/productpage",
        "/api/v1/products/0",
        "/api/v1/products/0/reviews",
    ] {
        let response = app.get(path).await;

        assert_eq!(response.header("vary"), "Cookie", "{path}");
    }
}
