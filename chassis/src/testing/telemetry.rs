//! What a service's telemetry sends, kept for tests: its log lines and its spans.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{READY_WITHIN, RecordedRequest, RecordingBackend, StubReply};

/// Log output kept in memory, for tests that read what a service logged: hand
/// `move || captured.clone()` to a subscriber as its writer.
#[derive(Clone, Default)]
pub struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl CapturedLog {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("not poisoned")).into_owned()
    }
}

impl io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .expect("not poisoned")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One span as a Zipkin collector received it (v2 JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct ZipkinSpan {
    pub trace_id: String,
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
    /// `SERVER`, `CLIENT`, or `None` for internal spans.
    pub kind: Option<String>,
    /// `localEndpoint.serviceName`.
    pub service: Option<String>,
    pub tags: serde_json::Map<String, serde_json::Value>,
}

impl ZipkinSpan {
    fn from_json(span: &serde_json::Value) -> Option<Self> {
        let text = |value: &serde_json::Value| value.as_str().map(str::to_owned);
        Some(Self {
            trace_id: text(&span["traceId"])?,
            id: text(&span["id"])?,
            parent_id: text(&span["parentId"]),
            name: text(&span["name"]).unwrap_or_default(),
            kind: text(&span["kind"]),
            service: text(&span["localEndpoint"]["serviceName"]),
            tags: span["tags"].as_object().cloned().unwrap_or_default(),
        })
    }

    /// The tag `name`, if it is a string.
    pub fn tag(&self, name: &str) -> Option<&str> {
        self.tags.get(name).and_then(serde_json::Value::as_str)
    }
}

/// A collector on loopback that accepts whatever is posted (Zipkin JSON at `/api/v2/spans`,
/// OTLP at `/v1/traces`). It runs on its own thread for the rest of the test process, so it
/// outlives each test's runtime: the span exporter is process-wide.
#[derive(Clone)]
pub struct SpanCollector {
    backend: RecordingBackend,
}

impl SpanCollector {
    pub fn start() -> Self {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let backend = RecordingBackend::start(StubReply::json(202, ""));
                sender.send(backend).expect("test still waiting");
                std::future::pending::<()>().await;
            });
        });
        let backend = receiver.recv().expect("collector started");
        Self { backend }
    }

    /// The URL to give `OTEL_EXPORTER_ZIPKIN_ENDPOINT`.
    pub fn zipkin_endpoint(&self) -> String {
        format!("{}/api/v2/spans", self.backend.base_url())
    }

    /// The base URL to give `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub fn otlp_endpoint(&self) -> String {
        self.backend.base_url()
    }

    /// Every request the collector received.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.backend.requests()
    }

    /// Every Zipkin span received so far.
    pub fn zipkin_spans(&self) -> Vec<ZipkinSpan> {
        self.requests()
            .iter()
            .filter(|request| request.path == "/api/v2/spans")
            .filter_map(|request| serde_json::from_str::<serde_json::Value>(&request.body).ok())
            .filter_map(|body| body.as_array().cloned())
            .flatten()
            .filter_map(|span| ZipkinSpan::from_json(&span))
            .collect()
    }

    /// The spans of trace `trace_id` once `done` says they are all there, polling for at most
    /// [`READY_WITHIN`]; spans arrive after the batch delay.
    pub async fn wait_for_trace(
        &self,
        trace_id: &str,
        done: impl Fn(&[ZipkinSpan]) -> bool,
    ) -> Result<Vec<ZipkinSpan>, String> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            let spans: Vec<_> = self
                .zipkin_spans()
                .into_iter()
                .filter(|span| span.trace_id == trace_id)
                .collect();
            if done(&spans) {
                return Ok(spans);
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "trace {trace_id} incomplete after {READY_WITHIN:?}: {spans:#?}"
                ));
            }
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
