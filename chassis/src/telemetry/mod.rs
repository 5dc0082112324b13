//! Logs, traces and the request middleware: one `tracing` subscriber per process.
//!
//! - Log lines go to stdout, filtered by `RUST_LOG` (that filter applies to the log output only).
//! - Spans (a server span per request from tracing-actix-web, a client span per outbound call)
//!   go to OpenTelemetry and are exported in batches to Zipkin and/or OTLP when
//!   `OTEL_EXPORTER_ZIPKIN_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT` are set; see [`config`].
//! - `log` records (actix's own) reach the same subscriber through the tracing-log bridge.
//!
//! [`log_output`] writes the lines (credentials hidden by [`redact`], clients' broken connections
//! as rate-limited warnings); [`context`] has the rule for trace headers on outbound calls; [`export`] the exporters;
//! `request_tracing` the middleware that opens each request's server span.

pub mod config;
pub mod context;
pub mod export;
pub mod log_output;
pub mod redact;
mod request_tracing;

use std::io::IsTerminal;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::web;
use opentelemetry::Context;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Level;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub use config::{ServiceIdentity, TelemetryConfig};
pub use request_tracing::{RequestTracing, RequestTracingService};

/// How long shutting down may spend sending the spans still queued, per exporter. With both
/// exporters and the server's 10 s grace it stays inside Kubernetes' 30 s.
pub const FLUSH_ON_SHUTDOWN: Duration = Duration::from_secs(3);

/// Keeps telemetry running; dropping it sends the spans still queued (bounded by
/// [`FLUSH_ON_SHUTDOWN`]), so hold it in `main` until the server has stopped.
#[must_use = "telemetry stops when the guard is dropped"]
#[derive(Debug)]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl TelemetryGuard {
    /// Whether spans are being exported.
    pub fn exports_traces(&self) -> bool {
        self.provider.is_some()
    }

    /// Sends every finished span now and waits for the collector (bounded by the export
    /// timeout). For tests and short-lived tools; servers rely on the batch schedule.
    pub fn flush(&self) {
        if let Some(provider) = &self.provider
            && let Err(error) = provider.force_flush()
        {
            tracing::debug!(%error, "flushing spans failed");
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown_with_timeout(FLUSH_ON_SHUTDOWN)
        {
            eprintln!("telemetry: sending the last spans failed: {error}");
        }
    }
}

/// Installs the process-wide subscriber, reporting as `config.service`. Call once, early in
/// `main`, with the configuration the service read with its own; only the first call in a
/// process installs anything, later ones return a guard that exports nothing.
pub fn init(config: &TelemetryConfig) -> TelemetryGuard {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    let identity = &config.service;
    if INSTALLED.swap(true, Ordering::SeqCst) {
        tracing::debug!(service = %identity.name, "telemetry was already initialised");
        return TelemetryGuard { provider: None };
    }
    // Set even without export: log lines read the incoming trace id through it.
    opentelemetry::global::set_text_map_propagator(context::propagator());
    let provider = export::tracer_provider(config).unwrap_or_else(|error| {
        eprintln!("telemetry: no span export: {error}");
        None
    });

    let log_filter = EnvFilter::try_new(&config.log_filter)
        .unwrap_or_else(|_| EnvFilter::new(config::DEFAULT_LOG_FILTER));
    // Colour codes only for a person at a terminal, never into a cluster's log files.
    let log_output =
        log_output::layer(log_filter, std::io::stdout().is_terminal(), std::io::stdout);
    // Spans at info and above (ours), and warnings inside them as span events, whatever RUST_LOG.
    let span_export = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("bookinfo"))
            // Worker thread names and ids say nothing a trace reader needs.
            .with_threads(false)
            .with_filter(filter_fn(|metadata| {
                let threshold = if metadata.is_span() {
                    Level::INFO
                } else {
                    Level::WARN
                };
                *metadata.level() <= threshold
            }))
    });
    // Fails when a subscriber is already installed (a test's); that one stays.
    let _ = tracing_subscriber::registry()
        .with(log_output)
        .with(span_export)
        .try_init();
    if let Some(provider) = &provider {
        opentelemetry::global::set_tracer_provider(provider.clone());
    }
    tracing::info!(
        service = %identity.name,
        version = %identity.version,
        zipkin = config.zipkin_endpoint.as_deref().unwrap_or("off"),
        otlp = config.otlp_traces_endpoint.as_deref().unwrap_or("off"),
        "telemetry ready"
    );
    TelemetryGuard { provider }
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

/// The middleware every app is wrapped in: a server span per request, joined to the caller's
/// trace (B3 or W3C headers).
pub fn request_tracing() -> RequestTracing {
    RequestTracing::new()
}

/// Whether a request's server span is recorded by anything: the target and level of the span
/// `DefaultRootSpanBuilder` makes, so filters agree.
fn server_span_wanted() -> bool {
    tracing::span_enabled!(target: "tracing_actix_web::root_span_builder", Level::INFO)
}

/// tracing-actix-web's server span, made only when something records it.
///
/// Its fields cost a second route match, the connection info, a request id and two trace-context
/// extractions per request, and it computes them before asking whether the span is wanted. With
/// no span export and logs above `info` (a benchmark's or a quiet pod's setting) nothing is, and
/// [`RequestTracing`] does not ask for a span at all.
pub struct ServerSpan;

impl RootSpanBuilder for ServerSpan {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        if server_span_wanted() {
            // The span's parent context is extracted from the request's headers on top of the
            // current context: with the server's service in it, every span of this request
            // (the server span and those below it) carries that service to the exporters.
            let _service = request
                .app_data::<web::Data<ServiceIdentity>>()
                .map(|service| {
                    Context::current_with_value(export::SpanService(service.name.clone())).attach()
                });
            DefaultRootSpanBuilder::on_request_start(request)
        } else {
            tracing::Span::none()
        }
    }

    fn on_request_end<B: MessageBody>(
        span: tracing::Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
