//! Dropping the telemetry guard (what `main` does once the server has stopped after SIGTERM)
//! sends the spans still queued. Its own test binary: telemetry is process-wide.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chassis::telemetry::TelemetryConfig;
use chassis::testing::SpanCollector;

#[test]
fn dropping_the_guard_sends_the_queued_spans() {
    let collector = SpanCollector::start();
    let config = TelemetryConfig {
        zipkin_endpoint: Some(collector.zipkin_endpoint()),
        // Far longer than the test: only the shutdown can send the span.
        schedule_delay: Duration::from_secs(3600),
        log_filter: "warn".to_owned(),
        ..TelemetryConfig::for_service("flush-test", "v1")
    };
    let guard = chassis::telemetry::init(&config);
    // Ends (and is queued) when dropped, synchronously.
    tracing::info_span!("last words").in_scope(|| {});

    drop(guard);

    let spans = collector.zipkin_spans();
    let last = spans
        .iter()
        .find(|span| span.name == "last words")
        .unwrap_or_else(|| panic!("not sent on shutdown: {spans:#?}"));
    assert_eq!(last.service.as_deref(), Some("flush-test"));
}
