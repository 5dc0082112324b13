//! A collector that accepts connections and never answers must not slow requests, and shutting
//! telemetry down must still end in bounded time. Its own test binary: telemetry is process-wide.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use chassis::telemetry::TelemetryConfig;

const EXPORT_TIMEOUT: Duration = Duration::from_millis(500);
const REQUESTS: usize = 50;

/// Accepts every connection and holds it open without reading or answering.
fn black_hole() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    format!("http://{address}/api/v2/spans")
}

#[actix_web::test]
async fn a_dead_collector_neither_slows_requests_nor_hangs_shutdown() {
    let config = TelemetryConfig {
        zipkin_endpoint: Some(black_hole()),
        otlp_traces_endpoint: Some(black_hole().replace("/api/v2/spans", "/v1/traces")),
        zipkin_timeout: EXPORT_TIMEOUT,
        otlp_timeout: EXPORT_TIMEOUT,
        schedule_delay: Duration::from_millis(10),
        max_queue_size: 16,
        log_filter: "warn".to_owned(),
        ..TelemetryConfig::for_service("dead-collector-test", "v1")
    };
    let guard = chassis::telemetry::init(&config);
    assert!(guard.exports_traces());
    let address = chassis::testing::spawn_server(|listener| {
        chassis::server::serve(listener, &config.service, |cfg| {
            cfg.route(
                "/ping",
                web::get().to(|| async { HttpResponse::Ok().finish() }),
            );
        })
    });
    chassis::testing::wait_ready(address, "/ping")
        .await
        .unwrap();

    let client = awc::Client::default();
    let started = Instant::now();
    for _ in 0..REQUESTS {
        let response = client
            .get(format!("http://{address}/ping"))
            .insert_header(("x-b3-traceid", "463ac35c9f6413ad48485a3953bb6124"))
            .insert_header(("x-b3-spanid", "a2fb4a1d1a96d312"))
            .insert_header(("x-b3-sampled", "1"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }
    let serving = started.elapsed();
    // Were a request to wait for an export, a few would take the export timeout; with the
    // queue far smaller than the spans made, the exporter is stuck the whole time.
    assert!(
        serving < EXPORT_TIMEOUT * 4,
        "{REQUESTS} requests took {serving:?} with a dead collector"
    );

    let stopping = Instant::now();
    drop(guard);
    let shutdown = stopping.elapsed();
    assert!(
        shutdown < chassis::telemetry::FLUSH_ON_SHUTDOWN * 2 + EXPORT_TIMEOUT,
        "shutdown took {shutdown:?}"
    );
}
