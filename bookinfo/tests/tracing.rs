//! The local launcher exporting spans to a loopback Zipkin collector: one page view is one trace
//! across all four services, with the right parent links, whether the caller sent B3 or W3C
//! headers, and every span names its own service although one process runs them all.
//!
//! Its own test binary: telemetry is process-wide, so the tests share one collector and tell
//! their spans apart by trace id.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use bookinfo::{LocalBookinfo, Options};
use chassis::telemetry::{TelemetryConfig, TelemetryGuard};
use chassis::testing::{SpanCollector, ZipkinSpan};

fn collector() -> &'static SpanCollector {
    static TELEMETRY: OnceLock<(SpanCollector, TelemetryGuard)> = OnceLock::new();
    &TELEMETRY
        .get_or_init(|| {
            let collector = SpanCollector::start();
            let config = TelemetryConfig {
                zipkin_endpoint: Some(collector.zipkin_endpoint()),
                schedule_delay: Duration::from_millis(25),
                log_filter: "warn".to_owned(),
                ..TelemetryConfig::for_service("bookinfo", "test")
            };
            let guard = chassis::telemetry::init(&config);
            (collector, guard)
        })
        .0
}

async fn start_bookinfo() -> LocalBookinfo {
    collector();
    LocalBookinfo::start(&Options {
        productpage_port: 0,
        ..Options::default()
    })
    .await
    .unwrap()
}

/// Views the product page with `headers`; whether it showed stars (reviews v2 or v3, which call
/// ratings, rather than v1).
async fn view_product_page(productpage: SocketAddr, headers: &[(&str, String)]) -> bool {
    let mut request = awc::Client::default().get(format!("http://{productpage}/productpage"));
    for (name, value) in headers {
        request = request.insert_header((*name, value.as_str()));
    }
    let mut response = request.send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let page = response.body().limit(1 << 20).await.unwrap();
    String::from_utf8_lossy(&page).contains("glyphicon-star")
}

/// The trace id of a page view that reached ratings: the balancer rotates over reviews v1, v2
/// and v3, so one of three consecutive views does.
async fn trace_reaching_ratings(
    productpage: SocketAddr,
    headers_for: impl Fn(&str) -> Vec<(&'static str, String)>,
    trace_ids: [&'static str; 3],
) -> &'static str {
    for trace_id in trace_ids {
        if view_product_page(productpage, &headers_for(trace_id)).await {
            return trace_id;
        }
    }
    panic!("no page view reached reviews v2 or v3");
}

/// The trace's spans once the server spans of all four services and three calls are in.
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

/// `callee`'s server span hangs under a client span of `caller`, which is inside `caller`'s
/// server span (perhaps under spans of the caller's own in between).
fn assert_called_by(spans: &[ZipkinSpan], callee: &str, caller: &str) {
    let server = server_span(spans, callee).unwrap();
    let client = parent(spans, server);
    assert!(is_client(client), "{callee} hangs under {client:#?}");
    assert_eq!(client.service.as_deref(), Some(caller), "{client:#?}");
    let mut ancestor = parent(spans, client);
    while ancestor.kind.as_deref() != Some("SERVER") {
        assert_eq!(ancestor.service.as_deref(), Some(caller), "{ancestor:#?}");
        ancestor = parent(spans, ancestor);
    }
    assert_eq!(ancestor, server_span(spans, caller).unwrap());
}

fn assert_bookinfo_call_graph(spans: &[ZipkinSpan], trace_id: &str, incoming_span: &str) {
    assert!(spans.iter().all(|span| span.trace_id == trace_id));
    let productpage = server_span(spans, "productpage").unwrap();
    assert_eq!(productpage.parent_id.as_deref(), Some(incoming_span));
    assert_eq!(productpage.name, "GET /productpage");
    assert_called_by(spans, "details", "productpage");
    assert_called_by(spans, "reviews", "productpage");
    assert_called_by(spans, "ratings", "reviews");
}

#[actix_web::test]
async fn product_page_with_b3_headers_is_one_trace_across_all_four_services() {
    let bookinfo = start_bookinfo().await;
    let b3 = |trace_id: &str| {
        vec![
            ("x-b3-traceid", trace_id.to_owned()),
            ("x-b3-spanid", "b7ad6b7169203331".to_owned()),
            ("x-b3-sampled", "1".to_owned()),
        ]
    };

    let trace_id = trace_reaching_ratings(
        bookinfo.productpage,
        b3,
        [
            "0af7651916cd43dd8448eb211c80319c",
            "0af7651916cd43dd8448eb211c80319d",
            "0af7651916cd43dd8448eb211c80319e",
        ],
    )
    .await;

    let spans = full_trace(trace_id).await;
    assert_bookinfo_call_graph(&spans, trace_id, "b7ad6b7169203331");
    bookinfo.stop_all().await;
}

#[actix_web::test]
async fn product_page_with_only_traceparent_is_one_trace_across_all_four_services() {
    let bookinfo = start_bookinfo().await;
    let w3c = |trace_id: &str| vec![("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))];

    let trace_id = trace_reaching_ratings(
        bookinfo.productpage,
        w3c,
        [
            "9b1d2c4f8e3a7d6c5b4a392817161514",
            "9b1d2c4f8e3a7d6c5b4a392817161515",
            "9b1d2c4f8e3a7d6c5b4a392817161516",
        ],
    )
    .await;

    let spans = full_trace(trace_id).await;
    assert_bookinfo_call_graph(&spans, trace_id, "00f067aa0ba902b7");
    bookinfo.stop_all().await;
}
