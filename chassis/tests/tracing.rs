//! Spans exported by the real exporters to a loopback collector: the service name, joining the
//! caller's trace (B3 multi, single `b3`, W3C), the headers sent onward, sampling, OTLP.
//!
//! Telemetry is process-wide, so every test here shares one collector and one initialisation;
//! each test uses its own trace id.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;
use std::time::Duration;

use actix_web::{HttpResponse, web};
use chassis::client::{BackendClient, ConnectionReuse};
use chassis::propagation::ForwardedHeaders;
use chassis::telemetry::{ServiceIdentity, TelemetryConfig, TelemetryGuard};
use chassis::testing::{RecordedRequest, RecordingBackend, SpanCollector, StubReply, ZipkinSpan};

const SERVICE: &str = "chassis-test";

fn collector() -> &'static SpanCollector {
    static TELEMETRY: OnceLock<(SpanCollector, TelemetryGuard)> = OnceLock::new();
    &TELEMETRY
        .get_or_init(|| {
            let collector = SpanCollector::start();
            let config = TelemetryConfig {
                zipkin_endpoint: Some(collector.zipkin_endpoint()),
                otlp_traces_endpoint: Some(format!("{}/v1/traces", collector.otlp_endpoint())),
                schedule_delay: Duration::from_millis(25),
                // Log lines at warn only: the info spans must be exported all the same.
                log_filter: "warn".to_owned(),
                ..TelemetryConfig::for_service(SERVICE, "v-test")
            };
            let guard = chassis::telemetry::init(&config);
            assert!(guard.exports_traces());
            (collector, guard)
        })
        .0
}

/// An app whose `/call` calls `downstream` once, as a service calls its backend.
async fn spawn_app(downstream: &RecordingBackend) -> std::net::SocketAddr {
    let url = format!("{}/ratings/0", downstream.base_url());
    chassis::testing::spawn_server(move |listener| {
        chassis::server::serve(
            listener,
            &ServiceIdentity::new(SERVICE, "v-test"),
            move |cfg| {
                let client =
                    BackendClient::new(Duration::from_secs(3), ConnectionReuse::FreshPerCall);
                let url = url.clone();
                cfg.app_data(web::Data::new(client)).route(
                    "/call",
                    web::get().to(
                        move |client: web::Data<BackendClient>, headers: ForwardedHeaders| {
                            let url = url.clone();
                            async move {
                                match client.get(&url, &headers).await {
                                    Ok(reply) => HttpResponse::Ok().body(reply.body),
                                    Err(error) => {
                                        HttpResponse::BadGateway().body(error.to_string())
                                    }
                                }
                            }
                        },
                    ),
                );
            },
        )
    })
}

async fn call(address: std::net::SocketAddr, headers: &[(&str, &str)]) {
    let mut request = awc::Client::default().get(format!("http://{address}/call"));
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    let response = request.send().await.expect("answer");
    assert_eq!(response.status().as_u16(), 200);
}

/// The server span and the client span of one `/call`.
async fn server_and_client(trace_id: &str) -> (ZipkinSpan, ZipkinSpan) {
    let spans = collector()
        .wait_for_trace(trace_id, |spans| spans.len() >= 2)
        .await
        .unwrap();
    let kind = |kind: &str| {
        spans
            .iter()
            .find(|span| span.kind.as_deref() == Some(kind))
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} span in {spans:#?}"))
    };
    (kind("SERVER"), kind("CLIENT"))
}

fn only_request(backend: &RecordingBackend) -> RecordedRequest {
    let requests = backend.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    requests[0].clone()
}

#[actix_web::test]
async fn credentials_in_the_query_never_reach_the_collector() {
    let collector = collector();
    let downstream = RecordingBackend::start(StubReply::json(200, "{}"));
    let app = spawn_app(&downstream).await;
    let trace_id = "5ac35c9f6413ad48485a3953bb612463";

    let response = awc::Client::default()
        .get(format!(
            "http://{app}/call?user=jason&passwd=SECRET&token=SECRET"
        ))
        .insert_header(("x-b3-traceid", trace_id))
        .insert_header(("x-b3-spanid", "b2fb4a1d1a96d312"))
        .insert_header(("x-b3-sampled", "1"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 200);

    let (server, _) = server_and_client(trace_id).await;
    assert_eq!(
        server.tag("http.target"),
        Some("/call?user=jason&passwd=[redacted]&token=[redacted]"),
        "{server:#?}"
    );
    let sent: String = collector
        .requests()
        .iter()
        .map(|request| request.body.clone())
        .collect();
    assert!(
        !sent.contains("SECRET"),
        "a collector received a credential"
    );
}

#[actix_web::test]
async fn b3_request_yields_joined_spans_named_after_the_service() {
    let collector = collector();
    let downstream = RecordingBackend::start(StubReply::json(200, "{}"));
    let app = spawn_app(&downstream).await;
    let trace_id = "463ac35c9f6413ad48485a3953bb6124";

    call(
        app,
        &[
            ("x-b3-traceid", trace_id),
            ("x-b3-spanid", "a2fb4a1d1a96d312"),
            ("x-b3-sampled", "1"),
            ("x-request-id", "req-1"),
        ],
    )
    .await;

    let (server, client) = server_and_client(trace_id).await;
    assert_eq!(server.parent_id.as_deref(), Some("a2fb4a1d1a96d312"));
    assert_eq!(client.parent_id.as_deref(), Some(server.id.as_str()));
    assert_eq!(server.service.as_deref(), Some(SERVICE), "{server:#?}");
    assert_eq!(client.service.as_deref(), Some(SERVICE), "{client:#?}");
    assert_eq!(server.name, "GET /call");
    assert_eq!(client.tag("http.response.status_code"), Some("200"));
    assert!(collector.zipkin_spans().len() >= 2);

    let sent = only_request(&downstream);
    assert_eq!(sent.header("x-b3-traceid"), Some(trace_id));
    assert_eq!(sent.header("x-b3-spanid"), Some(client.id.as_str()));
    assert_eq!(sent.header("x-b3-sampled"), Some("1"));
    assert_eq!(
        sent.header("traceparent"),
        Some(format!("00-{trace_id}-{}-01", client.id).as_str())
    );
    assert_eq!(
        sent.header("x-request-id"),
        Some("req-1"),
        "the rest is forwarded"
    );
}

#[actix_web::test]
async fn traceparent_alone_is_joined_too() {
    let downstream = RecordingBackend::start(StubReply::json(200, "{}"));
    let app = spawn_app(&downstream).await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";

    call(
        app,
        &[
            ("traceparent", &format!("00-{trace_id}-00f067aa0ba902b7-01")),
            ("tracestate", "vendor=x"),
        ],
    )
    .await;

    let (server, client) = server_and_client(trace_id).await;
    assert_eq!(server.parent_id.as_deref(), Some("00f067aa0ba902b7"));
    assert_eq!(client.parent_id.as_deref(), Some(server.id.as_str()));
    let sent = only_request(&downstream);
    assert_eq!(
        sent.header("traceparent"),
        Some(format!("00-{trace_id}-{}-01", client.id).as_str())
    );
    assert_eq!(sent.header("tracestate"), Some("vendor=x"));
    assert_eq!(sent.header("x-b3-traceid"), Some(trace_id));
}

#[actix_web::test]
async fn single_b3_header_is_joined() {
    let downstream = RecordingBackend::start(StubReply::json(200, "{}"));
    let app = spawn_app(&downstream).await;
    let trace_id = "80f198ee56343ba864fe8b2a57d3eff7";

    call(app, &[("b3", &format!("{trace_id}-e457b5a2e4d86bd1-1"))]).await;

    let (server, _) = server_and_client(trace_id).await;
    assert_eq!(server.parent_id.as_deref(), Some("e457b5a2e4d86bd1"));
    let sent = only_request(&downstream);
    assert!(
        sent.header("b3").is_none(),
        "replaced by the multi-header form"
    );
    assert_eq!(sent.header("x-b3-traceid"), Some(trace_id));
}

#[actix_web::test]
async fn unsampled_trace_is_not_exported_but_its_decision_is_passed_on() {
    let collector = collector();
    let downstream = RecordingBackend::start(StubReply::json(200, "{}"));
    let app = spawn_app(&downstream).await;
    let unsampled = "11111111111111112222222222222222";
    let sampled = "33333333333333334444444444444444";

    call(
        app,
        &[
            ("x-b3-traceid", unsampled),
            ("x-b3-spanid", "1111111111111111"),
            ("x-b3-sampled", "0"),
        ],
    )
    .await;
    call(
        app,
        &[
            ("x-b3-traceid", sampled),
            ("x-b3-spanid", "3333333333333333"),
            ("x-b3-sampled", "1"),
        ],
    )
    .await;

    // Spans are exported in the order they end: once the later trace is in, the earlier one
    // would be too.
    server_and_client(sampled).await;
    let leaked: Vec<_> = collector
        .zipkin_spans()
        .into_iter()
        .filter(|span| span.trace_id == unsampled)
        .collect();
    assert!(leaked.is_empty(), "{leaked:#?}");
    let first = &downstream.requests()[0];
    assert_eq!(first.header("x-b3-traceid"), Some(unsampled));
    assert_eq!(first.header("x-b3-sampled"), Some("0"));
    assert!(first.header("traceparent").unwrap().ends_with("-00"));
}

#[actix_web::test]
async fn otlp_gets_protobuf_with_the_service_name() {
    let collector = collector();
    let downstream = RecordingBackend::start(StubReply::json(200, "{}"));
    let app = spawn_app(&downstream).await;
    let trace_id = "5555555555555555aaaaaaaaaaaaaaaa";

    call(
        app,
        &[
            ("x-b3-traceid", trace_id),
            ("x-b3-spanid", "5555555555555555"),
            ("x-b3-sampled", "1"),
        ],
    )
    .await;

    server_and_client(trace_id).await;
    // The OTLP exporter has its own batch: wait for it as well.
    let deadline = std::time::Instant::now() + chassis::testing::READY_WITHIN;
    let otlp = loop {
        let otlp: Vec<_> = collector
            .requests()
            .into_iter()
            .filter(|request| request.path == "/v1/traces")
            .collect();
        if otlp.iter().any(|request| request.body.contains(SERVICE))
            || std::time::Instant::now() > deadline
        {
            break otlp;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    };
    let first = otlp.first().expect("an OTLP export");
    assert_eq!(first.method, "POST");
    assert_eq!(first.header("content-type"), Some("application/x-protobuf"));
    assert!(otlp.iter().any(|request| request.body.contains(SERVICE)));
}
