//! The outbound client against a real loopback server: headers, connection reuse, the deadline.

use std::time::{Duration, Instant};

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use chassis::client::{BackendClient, CallError, ConnectionReuse};
use chassis::propagation::ForwardedHeaders;
use chassis::testing::{RecordingBackend, StubReply};

fn incoming(pairs: &[(&'static str, &'static str)]) -> ForwardedHeaders {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    ForwardedHeaders::from_headers(&map)
}

#[actix_web::test]
async fn get_forwards_listed_headers_and_returns_status_and_body() {
    let backend = RecordingBackend::start(StubReply::json(503, r#"{"error":"x"}"#));
    let client = BackendClient::new(Duration::from_secs(3), ConnectionReuse::FreshPerCall);
    let headers = incoming(&[("x-request-id", "r-1"), ("traceparent", "00-abc-def-01")]);

    let reply = client
        .get(&format!("{}/ratings/0", backend.base_url()), &headers)
        .await
        .expect("an HTTP answer");

    assert_eq!(reply.status.as_u16(), 503);
    assert_eq!(reply.body, r#"{"error":"x"}"#);
    let seen = backend.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].path, "/ratings/0");
    assert_eq!(seen[0].header("x-request-id"), Some("r-1"));
    assert_eq!(seen[0].header("traceparent"), Some("00-abc-def-01"));
}

#[actix_web::test]
async fn fresh_per_call_and_a_lone_call_while_busy_ask_the_server_to_close_and_pooled_does_not() {
    let backend = RecordingBackend::start(StubReply::json(200, "{}"));
    let url = format!("{}/x", backend.base_url());
    let none = ForwardedHeaders::default();

    for reuse in [
        ConnectionReuse::FreshPerCall,
        ConnectionReuse::WhileBusy,
        ConnectionReuse::Pooled,
    ] {
        BackendClient::new(Duration::from_secs(3), reuse)
            .get(&url, &none)
            .await
            .expect("answer");
    }

    let seen = backend.requests();
    assert_eq!(seen[0].header("connection"), Some("close"));
    assert_eq!(seen[1].header("connection"), Some("close"));
    assert_ne!(seen[2].header("connection"), Some("close"));
}

#[actix_web::test]
async fn while_busy_keeps_the_connection_of_a_call_that_overlaps_another() {
    let backend = RecordingBackend::start(StubReply::json(200, "{}"));
    let url = format!("{}/x", backend.base_url());
    let none = ForwardedHeaders::default();
    let client = BackendClient::new(Duration::from_secs(3), ConnectionReuse::WhileBusy);

    let (first, second) = tokio::join!(client.get(&url, &none), client.get(&url, &none));
    first.expect("answer");
    second.expect("answer");

    let mut closing: Vec<_> = backend
        .requests()
        .iter()
        .map(|request| request.header("connection") == Some("close"))
        .collect();
    closing.sort();
    assert_eq!(
        closing,
        [false, true],
        "only the call that started second keeps"
    );
}

#[actix_web::test]
async fn get_gives_up_at_the_deadline_when_the_backend_is_slow() {
    let backend =
        RecordingBackend::start(StubReply::json(200, "{}").delayed(Duration::from_secs(5)));
    let client = BackendClient::new(Duration::from_millis(300), ConnectionReuse::FreshPerCall);

    let started = Instant::now();
    let outcome = client
        .get(
            &format!("{}/slow", backend.base_url()),
            &ForwardedHeaders::default(),
        )
        .await;

    assert!(matches!(outcome, Err(CallError::Timeout(_))), "{outcome:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[actix_web::test]
async fn get_reports_a_send_error_when_nothing_listens() {
    let closed = chassis::server::bind_loopback(0).expect("bind");
    let address = closed.local_addr().expect("address");
    drop(closed);
    let client = BackendClient::new(Duration::from_secs(3), ConnectionReuse::FreshPerCall);

    let outcome = client
        .get(&format!("http://{address}/"), &ForwardedHeaders::default())
        .await;

    assert!(matches!(outcome, Err(CallError::Send(_))), "{outcome:?}");
}

#[actix_web::test]
async fn a_redirect_is_returned_as_the_answer_and_not_followed() {
    let elsewhere = RecordingBackend::start(StubReply::json(200, "{}"));
    let redirecting =
        RecordingBackend::start(StubReply::redirect(format!("{}/x", elsewhere.base_url())));
    let client = BackendClient::new(Duration::from_secs(3), ConnectionReuse::FreshPerCall);

    let reply = client
        .get(
            &format!("{}/details/0", redirecting.base_url()),
            &ForwardedHeaders::default(),
        )
        .await
        .expect("an HTTP answer");

    assert_eq!(reply.status.as_u16(), 302);
    assert_eq!(redirecting.requests().len(), 1);
    assert!(elsewhere.requests().is_empty(), "the redirect was followed");
}

#[actix_web::test]
async fn connecting_to_sends_the_call_elsewhere_with_the_url_host_as_host() {
    let backend = RecordingBackend::start(StubReply::json(200, "{}"));
    // `.invalid` never resolves (RFC 6761): only the address given can answer.
    let client = BackendClient::new(Duration::from_secs(3), ConnectionReuse::FreshPerCall)
        .connecting_to(backend.address);

    let reply = client
        .get(
            "http://books.invalid:80/volumes",
            &ForwardedHeaders::default(),
        )
        .await
        .expect("an answer from the address given");

    assert_eq!(reply.status.as_u16(), 200);
    let seen = backend.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/volumes");
    assert!(
        seen[0]
            .header("host")
            .is_some_and(|host| host.starts_with("books.invalid")),
        "{:?}",
        seen[0].header("host")
    );
}
