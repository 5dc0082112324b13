//! The one log line per request: method, path, status, duration and trace id. Its own test
//! binary, with a subscriber that writes into memory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::{HttpResponse, web};
use chassis::telemetry::ServiceIdentity;

#[actix_web::test]
async fn each_request_logs_method_path_status_duration_and_trace_id() {
    let captured = chassis::testing::CapturedLog::default();
    let writer = captured.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .unwrap();
    let address = chassis::testing::spawn_server(|listener| {
        chassis::server::serve(listener, &ServiceIdentity::new("logged", "v1"), |cfg| {
            cfg.route(
                "/items/{id}",
                web::get().to(|| async { HttpResponse::Created().finish() }),
            );
        })
    });

    let response = awc::Client::default()
        .get(format!("http://{address}/items/42?x=1"))
        .insert_header((
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);

    let logs = captured.text();
    let line = logs
        .lines()
        .find(|line| line.contains(r#"path="/items/42""#))
        .unwrap_or_else(|| panic!("no request line in {logs}"));
    assert!(line.contains(r#"method="GET""#), "{line}");
    assert!(line.contains("status=201"), "{line}");
    assert!(line.contains("duration_ms="), "{line}");
    assert!(
        line.contains(r#"trace_id="4bf92f3577b34da6a3ce929d0e0e4736""#),
        "{line}"
    );
}
