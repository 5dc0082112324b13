//! What reaches the log: no credential from a query string, and clients' broken requests as one
//! rate-limited WARN line instead of an ERROR each. Its own test binary, with the services' log
//! layer writing into memory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::{HttpResponse, web};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;

#[actix_web::test]
async fn credentials_stay_out_and_client_mistakes_are_rate_limited_warnings() {
    let captured = chassis::testing::CapturedLog::default();
    let writer = captured.clone();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(
        chassis::telemetry::log_output::layer(EnvFilter::new("info"), false, move || {
            writer.clone()
        }),
    ))
    .unwrap();
    let address = chassis::testing::spawn_server(|listener| {
        chassis::server::serve(
            listener,
            &chassis::telemetry::ServiceIdentity::new("logging", "v1"),
            |cfg| {
                cfg.route(
                    "/login",
                    web::post().to(|| async {
                        tracing::warn!("login refused");
                        HttpResponse::BadRequest().finish()
                    }),
                );
            },
        )
    });

    let refused = chassis::testing::raw_exchange(
        address,
        b"POST /login?username=jason&passwd=SECRET1&api_key=SECRET2 HTTP/1.1\r\n\
          Host: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(refused.starts_with("HTTP/1.1 400"), "{refused}");
    for _ in 0..3 {
        let malformed =
            chassis::testing::raw_exchange(address, b"GET / HTTP/1.1\r\nno colon here\r\n\r\n")
                .await;
        assert!(malformed.starts_with("HTTP/1.1 400"), "{malformed}");
    }

    let logs = captured.text();
    assert!(logs.contains("login refused"), "{logs}");
    assert!(logs.contains("passwd=[redacted]"), "{logs}");
    assert!(!logs.contains("SECRET"), "{logs}");
    assert!(!logs.contains("ERROR"), "{logs}");
    let warnings: Vec<_> = logs
        .lines()
        .filter(|line| line.contains("stream error"))
        .collect();
    assert_eq!(warnings.len(), 1, "{logs}");
    assert!(warnings[0].contains(" WARN "), "{logs}");
}
