//! details v2 against a stand-in for Google Books' volumes API.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use chassis::testing::{RecordingBackend, StubReply};

use crate::helpers::{NOT_NUMERIC, closed_port, spawn_v2, spawn_with_env};

/// Generous for loopback; the timeout test sets its own.
const TIMEOUT: Duration = Duration::from_secs(5);

/// A Google-Books-shaped answer for ISBN 0486424618, with fields details does not use.
const VOLUMES: &str = r#"{
  "kind": "books#volumes",
  "totalItems": 1,
  "items": [
    {
      "kind": "books#volume",
      "id": "stub-volume-id",
      "etag": "stub",
      "selfLink": "https://www.googleapis.com/books/v1/volumes/stub-volume-id",
      "volumeInfo": {
        "title": "The Comedy of Errors",
        "authors": ["William Shakespeare", "A. N. Editor"],
        "publisher": "Courier Corporation",
        "publishedDate": "2002-09-19",
        "description": "A stand-in description.",
        "industryIdentifiers": [
          {"type": "ISBN_13", "identifier": "9780486424613"},
          {"type": "ISBN_10", "identifier": "0486424618"}
        ],
        "readingModes": {"text": false, "image": true},
        "pageCount": 53,
        "printType": "BOOK",
        "categories": ["Drama"],
        "maturityRating": "NOT_MATURE",
        "language": "en"
      },
      "saleInfo": {"country": "US", "saleability": "NOT_FOR_SALE"},
      "accessInfo": {"country": "US", "viewability": "PARTIAL"}
    }
  ]
}"#;

/// What details v2 answers for book 0 with [`VOLUMES`].
const BOOK_0_FROM_GOOGLE: &str = r#"{"id":0,"author":"William Shakespeare","year":"2002-09-19","type":"paperback","pages":53,"publisher":"Courier Corporation","language":"English","ISBN-10":"0486424618","ISBN-13":"9780486424613"}"#;

#[actix_web::test]
async fn details_v2_returns_200_with_google_books_mapped_as_upstream_maps_it() {
    let google = RecordingBackend::start(StubReply::json(200, VOLUMES));
    let app = spawn_v2(&google.base_url(), TIMEOUT).await;

    let response = app.details("0").await;

    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body, BOOK_0_FROM_GOOGLE);
    let calls = google.requests();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, "GET");
    assert_eq!(calls[0].path, "/books/v1/volumes?q=isbn:0486424618");
}

#[actix_web::test]
async fn details_v2_echoes_the_requested_id() {
    let google = RecordingBackend::start(StubReply::json(200, VOLUMES));
    let app = spawn_v2(&google.base_url(), TIMEOUT).await;

    let response = app.details("0x10").await;

    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(response.json()["id"], 16);
}

#[actix_web::test]
async fn details_v2_forwards_trace_context_but_never_the_users_credentials() {
    let google = RecordingBackend::start(StubReply::json(200, VOLUMES));
    let app = spawn_v2(&google.base_url(), TIMEOUT).await;

    let response = app
        .details_with_headers(&[
            ("x-request-id", "req-42"),
            ("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"),
            ("x-b3-spanid", "e457b5a2e4d86bd1"),
            ("x-b3-sampled", "1"),
            (
                "traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            ),
            ("cookie", "session=signed-session-value"),
            ("authorization", "Bearer user-token"),
            ("jwt", "user-jwt"),
            ("end-user", "jason"),
            ("user-agent", "users-browser/1.0"),
        ])
        .await;

    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    let call = &google.requests()[0];
    for (name, value) in [
        ("x-request-id", "req-42"),
        ("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"),
        ("x-b3-spanid", "e457b5a2e4d86bd1"),
        ("x-b3-sampled", "1"),
        (
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
    ] {
        assert_eq!(call.header(name), Some(value), "{name} forwarded");
    }
    for name in ["cookie", "authorization", "jwt", "end-user"] {
        assert_eq!(call.header(name), None, "{name} must not leave the mesh");
    }
    let user_agent = call.header("user-agent").unwrap_or_default();
    assert!(
        user_agent.starts_with("bookinfo-details/"),
        "our own user agent, not the caller's: {user_agent:?}"
    );
}

#[actix_web::test]
async fn details_v2_returns_400_without_calling_google_when_the_id_is_not_a_number() {
    let google = RecordingBackend::start(StubReply::json(200, VOLUMES));
    let app = spawn_v2(&google.base_url(), TIMEOUT).await;

    let response = app.details("abc").await;

    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.body, NOT_NUMERIC);
    assert!(google.requests().is_empty());
}

#[actix_web::test]
async fn details_v2_returns_400_with_a_message_when_the_book_service_fails() {
    let no_items = r#"{"kind":"books#volumes","totalItems":0}"#;
    let empty_items = r#"{"kind":"books#volumes","totalItems":0,"items":[]}"#;
    let no_author = r#"{"items":[{"volumeInfo":{"industryIdentifiers":[
        {"type":"ISBN_10","identifier":"0486424618"},{"type":"ISBN_13","identifier":"9780486424613"}]}}]}"#;
    let no_isbn_13 = r#"{"items":[{"volumeInfo":{"authors":["William Shakespeare"],
        "industryIdentifiers":[{"type":"ISBN_10","identifier":"0486424618"}]}}]}"#;
    let google_error = r#"{"error":{"code":429,"message":"Quota exceeded"}}"#;
    // (answer, what the message says, why)
    let cases = [
        (
            StubReply::json(500, VOLUMES),
            "the book service answered with status 500 Internal Server Error",
            "a 500",
        ),
        (
            StubReply::json(429, google_error),
            "the book service answered with status 429 Too Many Requests",
            "rate limited",
        ),
        (
            StubReply::not_json(),
            "the book service's answer is not the JSON expected",
            "an HTML page",
        ),
        (
            StubReply::json(200, r#"{"items":"none"}"#),
            "the book service's answer is not the JSON expected",
            "JSON of another shape",
        ),
        (
            StubReply::json(200, no_items),
            "the book service has no book with ISBN 0486424618",
            "no items",
        ),
        (
            StubReply::json(200, empty_items),
            "the book service has no book with ISBN 0486424618",
            "empty items",
        ),
        (
            StubReply::json(200, no_author),
            "the book service's answer has no author",
            "no author",
        ),
        (
            StubReply::json(200, no_isbn_13),
            "the book service's answer has no ISBN-13",
            "no ISBN-13",
        ),
    ];
    for (reply, message, why) in cases {
        let google = RecordingBackend::start(reply);
        let app = spawn_v2(&google.base_url(), TIMEOUT).await;

        let response = app.details("0").await;

        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{why}");
        assert_eq!(response.header("content-type"), "application/json", "{why}");
        let error = response.error_message();
        assert!(error.starts_with(message), "{why}: {error:?}");
    }
}

#[actix_web::test]
async fn details_v2_returns_400_with_a_message_when_the_book_service_is_down() {
    let app = spawn_v2(&format!("http://127.0.0.1:{}", closed_port()), TIMEOUT).await;

    let response = app.details("0").await;

    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    let error = response.error_message();
    assert!(
        error.starts_with("calling the book service failed: request failed"),
        "{error:?}"
    );
}

#[actix_web::test]
async fn details_v2_returns_400_when_the_book_service_outlasts_the_timeout() {
    let timeout = Duration::from_secs(1);
    let google =
        RecordingBackend::start(StubReply::json(200, VOLUMES).delayed(Duration::from_secs(30)));
    let app = spawn_v2(&google.base_url(), timeout).await;

    let started = Instant::now();
    let response = app.details("0").await;
    let took = started.elapsed();

    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.error_message(),
        "calling the book service failed: no answer within 1s"
    );
    assert!(
        took >= timeout,
        "gave up after {took:?}, before the timeout"
    );
    assert!(took < 2 * timeout, "gave up only after {took:?}");
}

#[actix_web::test]
async fn details_v2_is_chosen_and_pointed_by_the_environment() {
    let google = RecordingBackend::start(StubReply::json(200, VOLUMES));
    let app = spawn_with_env(&[
        ("ENABLE_EXTERNAL_BOOK_SERVICE", "true"),
        ("DO_NOT_ENCRYPT", "true"),
        ("EXTERNAL_BOOK_SERVICE_URL", &google.base_url()),
    ])
    .await;

    let response = app.details("0").await;

    assert_eq!(response.body, BOOK_0_FROM_GOOGLE);
    assert_eq!(google.requests().len(), 1);
}

/// The stand-in speaks plain HTTP, so the TLS handshake fails; what matters is that an `https`
/// URL gets TLS at all (without awc's rustls feature it fails with "SSL is not supported").
#[actix_web::test]
async fn details_v2_returns_400_when_tls_to_the_book_service_fails() {
    let plain_http = RecordingBackend::start(StubReply::json(200, VOLUMES));
    let app = spawn_v2(&format!("https://{}", plain_http.address), TIMEOUT).await;

    let response = app.details("0").await;

    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    let error = response.error_message();
    assert!(
        error.starts_with("calling the book service failed"),
        "{error:?}"
    );
    assert!(!error.contains("SSL is not supported"), "{error:?}");
    assert!(
        plain_http.requests().is_empty(),
        "no plain HTTP request was sent"
    );
}
