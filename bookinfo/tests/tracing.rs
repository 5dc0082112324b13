//! The whole of Bookinfo in one process, exporting spans to a loopback Zipkin collector: one
//! page view is one trace across all four services, with the right parent links, whether the
//! caller sent B3 or W3C headers.
//!
//! Its own test binary: telemetry is process-wide. Each service runs in
//! `chassis::telemetry::with_service`, as the launcher runs them, so every span names its own
//! service although one provider exports them all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use chassis::telemetry::{TelemetryConfig, TelemetryGuard, with_service};
use chassis::testing::{SpanCollector, ZipkinSpan, spawn_server};

fn collector() -> &'static SpanCollector {
    static TELEMETRY: OnceLock<(SpanCollector, TelemetryGuard)> = OnceLock::new();
    &TELEMETRY
        .get_or_init(|| {
            let collector = SpanCollector::start();
            let config = TelemetryConfig {
                zipkin_endpoint: Some(collector.zipkin_endpoint()),
                schedule_delay: Duration::from_millis(25),
                log_filter: "warn".to_owned(),
                ..TelemetryConfig::default()
            };
            let guard = chassis::telemetry::init_with("bookinfo", &config);
            (collector, guard)
        })
        .0
}

fn env(pairs: &[(&str, String)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect()
}

fn host_and_port(address: SocketAddr, service: &str) -> [(String, String); 2] {
    let prefix = service.to_ascii_uppercase();
    [
        (format!("{prefix}_HOSTNAME"), address.ip().to_string()),
        (format!("{prefix}_SERVICE_PORT"), address.port().to_string()),
    ]
}

/// details v1, ratings v1, reviews v2 (which calls ratings) and productpage; productpage's address.
fn start_bookinfo() -> SocketAddr {
    let details = spawn_server(|listener| {
        let config = details::Config::load(&env(&[])).unwrap();
        with_service("details", "v1", || details::run(listener, config))
    });
    let ratings = spawn_server(|listener| {
        let config = ratings::Config::load(&env(&[])).unwrap();
        with_service("ratings", "v1", || ratings::run(listener, config))
    });
    let reviews = spawn_server(|listener| {
        let mut pairs: HashMap<String, String> = host_and_port(ratings, "ratings").into();
        pairs.insert("SERVICE_VERSION".to_owned(), "v2".to_owned());
        let config = reviews::Config::load(&pairs).unwrap();
        with_service("reviews", "v2", || reviews::run(listener, config))
    });
    spawn_server(|listener| {
        let pairs: HashMap<String, String> = host_and_port(details, "details")
            .into_iter()
            .chain(host_and_port(reviews, "reviews"))
            .chain(host_and_port(ratings, "ratings"))
            .collect();
        let config = productpage::Config::load(&pairs).unwrap();
        with_service("productpage", "v1", || productpage::run(listener, config))
    })
}

async fn view_product_page(productpage: SocketAddr, headers: &[(&str, &str)]) {
    let mut request = awc::Client::default().get(format!("http://{productpage}/productpage"));
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    let mut response = request.send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let page = response.body().limit(1 << 20).await.unwrap();
    let page = String::from_utf8_lossy(&page);
    assert!(page.contains("glyphicon-star"), "reviews v2 showed ratings");
}

/// The trace's spans once the server spans of all four services are in.
async fn full_trace(trace_id: &str) -> Vec<ZipkinSpan> {
    collector()
        .wait_for_trace(trace_id, |spans| {
            ["productpage", "details", "reviews", "ratings"]
                .iter()
                .all(|service| server_span(spans, service).is_some())
                && spans.iter().filter(|span| is_client(span)).count() >= 3
        })
        .await
        .unwrap()
}

fn is_client(span: &ZipkinSpan) -> bool {
    span.kind.as_deref() == Some("CLIENT")
}

fn server_span<'a>(spans: &'a [ZipkinSpan], service: &str) -> Option<&'a ZipkinSpan> {
    spans.iter().find(|span| {
        span.kind.as_deref() == Some("SERVER") && span.service.as_deref() == Some(service)
    })
}

fn parent<'a>(spans: &'a [ZipkinSpan], child: &ZipkinSpan) -> &'a ZipkinSpan {
    let parent_id = child.parent_id.as_deref().expect("has a parent");
    spans
        .iter()
        .find(|span| span.id == parent_id)
        .unwrap_or_else(|| panic!("parent of {child:#?} not in {spans:#?}"))
}

/// `callee`'s server span hangs under a client span of `caller`, which hangs under `caller`'s
/// server span.
fn assert_called_by(spans: &[ZipkinSpan], callee: &str, caller: &str) {
    let server = server_span(spans, callee).unwrap();
    let client = parent(spans, server);
    assert!(is_client(client), "{callee} hangs under {client:#?}");
    assert_eq!(client.service.as_deref(), Some(caller), "{client:#?}");
    assert_eq!(parent(spans, client), server_span(spans, caller).unwrap());
}

fn assert_bookinfo_call_graph(spans: &[ZipkinSpan], incoming_span: &str) {
    let productpage = server_span(spans, "productpage").unwrap();
    assert_eq!(productpage.parent_id.as_deref(), Some(incoming_span));
    assert_eq!(productpage.name, "GET /productpage");
    assert_called_by(spans, "details", "productpage");
    assert_called_by(spans, "reviews", "productpage");
    assert_called_by(spans, "ratings", "reviews");
}

#[actix_web::test]
async fn product_page_with_b3_headers_is_one_trace_across_all_four_services() {
    collector();
    let productpage = start_bookinfo();
    let trace_id = "0af7651916cd43dd8448eb211c80319c";

    view_product_page(
        productpage,
        &[
            ("x-b3-traceid", trace_id),
            ("x-b3-spanid", "b7ad6b7169203331"),
            ("x-b3-sampled", "1"),
        ],
    )
    .await;

    let spans = full_trace(trace_id).await;
    assert_bookinfo_call_graph(&spans, "b7ad6b7169203331");
    assert!(spans.iter().all(|span| span.trace_id == trace_id));
}

#[actix_web::test]
async fn product_page_with_only_traceparent_is_one_trace_across_all_four_services() {
    collector();
    let productpage = start_bookinfo();
    let trace_id = "9b1d2c4f8e3a7d6c5b4a392817161514";

    view_product_page(
        productpage,
        &[("traceparent", &format!("00-{trace_id}-00f067aa0ba902b7-01"))],
    )
    .await;

    let spans = full_trace(trace_id).await;
    assert_bookinfo_call_graph(&spans, "00f067aa0ba902b7");
}
