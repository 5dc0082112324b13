//! Sending spans: the tracer provider with one batch processor per configured exporter (Zipkin v2
//! JSON, OTLP over HTTP/protobuf), and the small blocking HTTP client both post through.
//!
//! The batch processor runs on its own thread: a request only puts its finished span in a bounded
//! queue (full queue: the span is dropped), so a slow or dead collector never slows a request,
//! and one export waits at most its timeout.

use std::borrow::Cow;
use std::time::Duration;

use async_trait::async_trait;
use opentelemetry::trace::Span as _;
use opentelemetry::{Context, KeyValue};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider, SpanData, SpanExporter,
    SpanProcessor,
};

use super::config::TelemetryConfig;

/// The span attribute that names a span's service when one process serves several (the local
/// launcher); the Zipkin client moves it into `localEndpoint.serviceName`.
pub const SPAN_SERVICE_ATTRIBUTE: &str = "service.name";

/// Largest collector answer read; collectors answer with a few bytes.
const MAX_ANSWER_BYTES: u64 = 64 * 1024;

/// A provider exporting to every configured collector, or `None` when none is configured.
pub(crate) fn tracer_provider(
    config: &TelemetryConfig,
) -> Result<Option<SdkTracerProvider>, String> {
    if !config.exports_traces() {
        return Ok(None);
    }
    let service = &config.service.name;
    let resource = Resource::builder_empty()
        .with_service_name(service.clone())
        .with_attribute(KeyValue::new(
            "service.version",
            config.service.version.clone(),
        ))
        .build();
    let mut builder = SdkTracerProvider::builder()
        .with_resource(resource)
        // Follow the caller's (the sidecar's) sampling decision; sample what starts here.
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
        // First, so the exporters see the attribute it adds.
        .with_span_processor(SpanServiceNames {
            process_service: service.clone(),
        });
    if let Some(endpoint) = &config.zipkin_endpoint {
        let client = ZipkinServiceNames {
            inner: BlockingHttpClient::new(config.zipkin_timeout),
            service: service.to_owned(),
        };
        let exporter = RedactedUrls(zipkin_exporter(endpoint, client)?);
        builder = builder.with_span_processor(batch(exporter, config));
    }
    if let Some(endpoint) = &config.otlp_traces_endpoint {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(BlockingHttpClient::new(config.otlp_timeout))
            .with_endpoint(endpoint.clone())
            .with_timeout(config.otlp_timeout)
            .build()
            .map_err(|error| format!("OTLP exporter for {endpoint}: {error}"))?;
        builder = builder.with_span_processor(batch(RedactedUrls(exporter), config));
    }
    Ok(Some(builder.build()))
}

// The Zipkin exporter is deprecated upstream in favour of OTLP, but Istio's Zipkin add-on and
// meshes configured for Zipkin still take its JSON; OTLP is offered beside it.
#[allow(deprecated)]
fn zipkin_exporter(
    endpoint: &str,
    client: ZipkinServiceNames,
) -> Result<opentelemetry_zipkin::ZipkinExporter, String> {
    opentelemetry_zipkin::ZipkinExporter::builder()
        .with_collector_endpoint(endpoint)
        .with_http_client(client)
        .build()
        .map_err(|error| format!("Zipkin exporter for {endpoint}: {error}"))
}

fn batch<E: SpanExporter + 'static>(exporter: E, config: &TelemetryConfig) -> BatchSpanProcessor {
    // Every setting explicit: the builder's defaults would read OTEL_BSP_* behind our config.
    let batch_config = BatchConfigBuilder::default()
        .with_max_queue_size(config.max_queue_size)
        .with_scheduled_delay(config.schedule_delay)
        .with_max_export_batch_size(config.max_export_batch_size)
        .build();
    BatchSpanProcessor::builder(exporter)
        .with_batch_config(batch_config)
        .build()
}

/// An exporter that hides credentials in the URLs spans carry (the server span's `http.target` is
/// the request's path and query as sent) before they leave, as the log lines do.
#[derive(Debug)]
struct RedactedUrls<E>(E);

impl<E: SpanExporter> SpanExporter for RedactedUrls<E> {
    fn export(
        &self,
        mut batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        for span in &mut batch {
            for attribute in &mut span.attributes {
                if let opentelemetry::Value::String(text) = &attribute.value
                    && let Cow::Owned(redacted) = super::redact::credentials(text.as_str())
                {
                    attribute.value = opentelemetry::Value::String(redacted.into());
                }
            }
        }
        self.0.export(batch)
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}

/// The service whose server a request came in through, in the context its spans start in
/// (see [`super::ServerSpan`]); the spans below inherit it with the context.
#[derive(Debug, Clone)]
pub(crate) struct SpanService(pub(crate) String);

/// Names the service on every span whose service is not the process's (the local launcher serves
/// all of Bookinfo from one process), from the [`SpanService`] in the context it starts in.
#[derive(Debug)]
struct SpanServiceNames {
    process_service: String,
}

impl SpanProcessor for SpanServiceNames {
    fn on_start(&self, span: &mut opentelemetry_sdk::trace::Span, parent: &Context) {
        if let Some(SpanService(service)) = parent.get::<SpanService>()
            && *service != self.process_service
        {
            span.set_attribute(KeyValue::new(SPAN_SERVICE_ATTRIBUTE, service.clone()));
        }
    }

    fn on_end(&self, _span: SpanData) {}

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// A blocking HTTP/1.1 client without TLS for the exporters. It runs on the batch processor's
/// own thread, so blocking there is what we want, and it needs no async runtime.
#[derive(Debug, Clone)]
pub(crate) struct BlockingHttpClient {
    agent: ureq::Agent,
}

impl BlockingHttpClient {
    /// A client whose every call (connect, send, answer) gives up after `timeout`.
    pub(crate) fn new(timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            // The exporters judge the status themselves.
            .http_status_as_error(false)
            .build()
            .into();
        Self { agent }
    }
}

#[async_trait]
impl HttpClient for BlockingHttpClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let response = self.agent.run(request.map(|body| body.to_vec()))?;
        let (parts, mut body) = response.into_parts();
        let answer = body.with_config().limit(MAX_ANSWER_BYTES).read_to_vec()?;
        Ok(Response::from_parts(parts, Bytes::from(answer)))
    }
}

/// Posts Zipkin JSON with `localEndpoint.serviceName` filled in, which opentelemetry-zipkin
/// leaves out since 0.28 (Zipkin then shows every span under an unknown service).
///
/// Each span gets the service from its [`SPAN_SERVICE_ATTRIBUTE`] tag (removed from the tags),
/// or the process's service.
#[derive(Debug, Clone)]
pub(crate) struct ZipkinServiceNames {
    inner: BlockingHttpClient,
    service: String,
}

#[async_trait]
impl HttpClient for ZipkinServiceNames {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let (parts, body) = request.into_parts();
        let body = name_services(&body, &self.service).map_or(body, Bytes::from);
        self.inner
            .send_bytes(Request::from_parts(parts, body))
            .await
    }
}

/// The Zipkin v2 span list in `body` with every span's `localEndpoint.serviceName` set; `None`
/// when the body is not such a list (sent unchanged then).
pub(crate) fn name_services(body: &[u8], service: &str) -> Option<Vec<u8>> {
    use serde_json::{Map, Value};

    let mut spans: Value = serde_json::from_slice(body).ok()?;
    for span in spans.as_array_mut()? {
        let span = span.as_object_mut()?;
        let tagged = span
            .get_mut("tags")
            .and_then(Value::as_object_mut)
            .and_then(|tags| tags.remove(SPAN_SERVICE_ATTRIBUTE));
        let name = match tagged {
            Some(Value::String(name)) => name,
            _ => service.to_owned(),
        };
        let endpoint = span
            .entry("localEndpoint")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(endpoint) = endpoint.as_object_mut() {
            endpoint.insert("serviceName".to_owned(), Value::String(name));
        }
    }
    serde_json::to_vec(&spans).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_span_gets_the_process_service_unless_it_names_its_own() {
        let body = br#"[
            {"traceId":"a","id":"1","localEndpoint":{"ipv4":"10.0.0.1"},"tags":{"x":"y"}},
            {"traceId":"a","id":"2","tags":{"service.name":"reviews","x":"z"}}
        ]"#;
        let named: serde_json::Value =
            serde_json::from_slice(&name_services(body, "productpage").unwrap()).unwrap();
        assert_eq!(named[0]["localEndpoint"]["serviceName"], "productpage");
        assert_eq!(named[0]["localEndpoint"]["ipv4"], "10.0.0.1");
        assert_eq!(named[1]["localEndpoint"]["serviceName"], "reviews");
        assert!(named[1]["tags"].get("service.name").is_none());
        assert_eq!(named[1]["tags"]["x"], "z");
    }

    #[test]
    fn a_body_that_is_not_a_span_list_is_left_alone() {
        assert!(name_services(b"not json", "details").is_none());
        assert!(name_services(br#"{"a":1}"#, "details").is_none());
    }
}
