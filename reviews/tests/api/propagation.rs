//! What reviews sends ratings: a GET with the forwarded headers (an incoming `end-user`
//! included), and nothing else of the incoming request.

use actix_web::http::Method;

use crate::helpers::{TestApp, spawn_version};

/// Headers a mesh, productpage or a client sets, which the ratings call must carry on.
const FORWARDED: [(&str, &str); 14] = [
    ("x-request-id", "3f2a9c1e-request"),
    ("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"),
    ("x-b3-spanid", "e457b5a2e4d86bd1"),
    ("x-b3-parentspanid", "05e3ac9a4f6e3b90"),
    ("x-b3-sampled", "1"),
    ("x-b3-flags", "1"),
    ("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1"),
    (
        "traceparent",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    ),
    ("tracestate", "vendor=opaque"),
    ("end-user", "jason"),
    ("cookie", "session=abc"),
    ("authorization", "Bearer token"),
    ("jwt", "header.payload.signature"),
    ("user-agent", "checker/1.0"),
];

#[actix_web::test]
async fn ratings_receives_the_forwarded_headers_including_end_user() {
    let app = spawn_version("v2").await;

    let response = app.reviews_with("0", &FORWARDED).await;

    assert_eq!(response.status.as_u16(), 200);
    let calls = app.ratings.requests();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, "GET");
    for (name, value) in FORWARDED {
        assert_eq!(calls[0].header(name), Some(value), "{name}");
    }
    assert_eq!(calls[0].header("accept"), Some("application/json"));
}

#[actix_web::test]
async fn ratings_receives_none_of_the_other_incoming_headers() {
    let app = spawn_version("v3").await;
    let incoming = [
        ("host", "reviews.example:9080"),
        ("x-custom", "secret"),
        ("accept-language", "fr"),
        ("x-forwarded-for", "10.0.0.1"),
        ("content-type", "text/plain"),
    ];

    app.request(Method::GET, "/reviews/0", &incoming, Some("abc"))
        .await;

    let calls = app.ratings.requests();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    for (name, value) in incoming {
        assert_ne!(call.header(name), Some(value), "{name} was forwarded");
    }
    assert!(
        matches!(call.header("content-length"), None | Some("0")),
        "the incoming body's length was forwarded: {:?}",
        call.header("content-length")
    );
}

#[actix_web::test]
async fn ratings_is_not_called_for_v1_even_with_forwarded_headers() {
    let app = TestApp::builder().version("v1").spawn().await;

    app.reviews_with("0", &FORWARDED).await;

    assert!(app.ratings.requests().is_empty());
}
