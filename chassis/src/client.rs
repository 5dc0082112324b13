//! The outbound HTTP client every service uses to call another: one per worker, a timeout on the
//! whole call (connect, headers and body), the forwarded headers, and by default a fresh
//! connection per call.
//!
//! Why fresh connections: without a mesh, kube-proxy balances per TCP connection, so a pooled
//! keep-alive connection would pin productpage to one reviews pod and the "refresh to see v1, v2,
//! v3" experience would break. Upstream opens a new connection per call for the same reason.
//! Pooling is a switch ([`ConnectionReuse::Pooled`]) for meshes and benchmarks.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use tracing::Instrument;

use crate::propagation::ForwardedHeaders;

/// Largest body accepted from a backend; Bookinfo's answers are a few hundred bytes.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Whether outbound connections are kept open and reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnectionReuse {
    /// A new TCP connection for every call (`Connection: close`), like upstream.
    #[default]
    FreshPerCall,
    /// Keep-alive connections are pooled and reused.
    Pooled,
}

impl ConnectionReuse {
    /// Reads the switch's value: `true` pools, anything else (or unset) does not.
    pub fn from_flag(pooled: bool) -> Self {
        if pooled {
            Self::Pooled
        } else {
            Self::FreshPerCall
        }
    }
}

/// The answer of a backend call that got an HTTP response, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendReply {
    pub status: StatusCode,
    pub body: Bytes,
}

impl BackendReply {
    pub fn is_ok(&self) -> bool {
        self.status == StatusCode::OK
    }
}

/// Why a backend call got no HTTP response.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("request failed: {0}")]
    Send(String),
    #[error("reading the body failed: {0}")]
    Body(String),
}

/// An HTTP client for calls to sibling services.
///
/// It is not `Send` (awc's client is per thread), so build one per worker, inside the app factory.
#[derive(Clone)]
pub struct BackendClient {
    client: awc::Client,
    timeout: Duration,
    reuse: ConnectionReuse,
}

impl BackendClient {
    /// A client whose every call gives up after `timeout`.
    pub fn new(timeout: Duration, reuse: ConnectionReuse) -> Self {
        let client = awc::Client::builder()
            // Our own deadline below covers the body too; awc's would cover only the headers.
            .disable_timeout()
            // A sibling that redirects is misbehaving: its answer is reported as it is, never
            // followed to wherever `Location` points.
            .disable_redirects()
            .no_default_headers()
            .finish();
        Self {
            client,
            timeout,
            reuse,
        }
    }

    /// `GET url` with the forwarded headers; the status and body, or why there was none.
    ///
    /// The call is a client span; when spans are exported, the trace headers carry that span's
    /// context instead of the incoming one (see [`crate::telemetry::context`]).
    pub async fn get(
        &self,
        url: &str,
        headers: &ForwardedHeaders,
    ) -> Result<BackendReply, CallError> {
        let span = client_span(url);
        let outcome = self
            .send(url, headers, &span)
            .instrument(span.clone())
            .await;
        match &outcome {
            Ok(reply) => {
                span.record("http.response.status_code", reply.status.as_u16());
                if reply.status.is_server_error() {
                    span.record("otel.status_code", "ERROR");
                }
            }
            Err(error) => {
                span.record("otel.status_code", "ERROR");
                span.record("error.message", tracing::field::display(error));
            }
        }
        outcome
    }

    async fn send(
        &self,
        url: &str,
        headers: &ForwardedHeaders,
        span: &tracing::Span,
    ) -> Result<BackendReply, CallError> {
        let headers = crate::telemetry::context::with_span_context(span, headers);
        let mut request = headers.apply(self.client.get(url));
        if self.reuse == ConnectionReuse::FreshPerCall {
            request = request.force_close();
        }
        let call = async move {
            let mut response = request
                .send()
                .await
                .map_err(|error| CallError::Send(error.to_string()))?;
            let body = response
                .body()
                .limit(MAX_BODY_BYTES)
                .await
                .map_err(|error| CallError::Body(error.to_string()))?;
            Ok(BackendReply {
                status: response.status(),
                body,
            })
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(CallError::Timeout(self.timeout)),
        }
    }
}

/// The client span of one call, named `GET host:port` (the path would make a name per product).
fn client_span(url: &str) -> tracing::Span {
    let authority = url
        .parse::<actix_web::http::Uri>()
        .ok()
        .and_then(|uri| uri.authority().map(|authority| authority.to_string()))
        .unwrap_or_default();
    tracing::info_span!(
        "outbound request",
        otel.name = %format_args!("GET {authority}"),
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        http.request.method = "GET",
        url.full = %url,
        server.address = %authority,
        http.response.status_code = tracing::field::Empty,
        error.message = tracing::field::Empty,
    )
}
