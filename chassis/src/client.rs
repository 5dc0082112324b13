//! The outbound HTTP client every service uses to call another: one per backend and worker, a
//! timeout on the whole call (connect, headers and body), the forwarded headers, and by default a
//! fresh connection per call unless calls overlap.
//!
//! Why fresh connections: without a mesh, kube-proxy balances per TCP connection, so a pooled
//! keep-alive connection would pin productpage to one reviews pod and the "refresh to see v1, v2,
//! v3" experience would break. Upstream opens a new connection per call for the same reason. A
//! sequential caller only ever gets fresh connections; under concurrent load, connections are
//! reused, which costs the rotation nothing (many connections are open at once, spread over the
//! pods) and saves a TCP handshake per call. Full pooling is a switch
//! ([`ConnectionReuse::Pooled`]) for meshes and benchmarks.

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
#[cfg(feature = "tls")]
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use tracing::Instrument;

use crate::propagation::ForwardedHeaders;

/// Largest body accepted from a backend; Bookinfo's answers are a few hundred bytes.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long a connection kept by [`ConnectionReuse::WhileBusy`] may wait idle for the next call.
/// Under load the next call comes within microseconds (milliseconds in a debug build on a busy
/// machine). A sequential caller never keeps a connection in the first place; this only bounds
/// how long connections left over from a burst of load can serve the calls after it.
pub const BUSY_IDLE_TIMEOUT: Duration = Duration::from_millis(50);

/// Whether outbound connections are kept open and reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnectionReuse {
    /// A new TCP connection for every call (`Connection: close`), like upstream.
    FreshPerCall,
    /// A fresh connection per call, except that a call started while another call to the same
    /// backend is in flight keeps its connection open for [`BUSY_IDLE_TIMEOUT`], for the next
    /// call. A sequential caller never overlaps calls, so it gets a new connection (and a new
    /// balancing choice) every time; concurrent load reuses connections.
    #[default]
    WhileBusy,
    /// Keep-alive connections are pooled and reused.
    Pooled,
}

impl ConnectionReuse {
    /// Reads the pooling switch's value: `true` pools, anything else (or unset) reuses
    /// connections only while busy.
    pub fn from_flag(pooled: bool) -> Self {
        if pooled {
            Self::Pooled
        } else {
            Self::WhileBusy
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

/// An HTTP client for calls to one sibling service.
///
/// It is not `Send` (awc's client is per thread), so build one per worker, inside the app factory.
/// Build one per backend too: [`ConnectionReuse::WhileBusy`] counts the calls in flight on this
/// client (and its clones) as calls to the same backend.
#[derive(Clone)]
pub struct BackendClient {
    client: awc::Client,
    timeout: Duration,
    reuse: ConnectionReuse,
    in_flight: Rc<Cell<usize>>,
    /// Where every connection goes instead of where the URL's host resolves to.
    connect_to: Option<SocketAddr>,
}

impl BackendClient {
    /// A client whose every call gives up after `timeout`.
    pub fn new(timeout: Duration, reuse: ConnectionReuse) -> Self {
        Self::build(
            timeout,
            reuse,
            #[cfg(feature = "tls")]
            None,
        )
    }

    /// A client whose `https` calls use `tls` (its roots, its ALPN) instead of awc's defaults.
    #[cfg(feature = "tls")]
    pub fn with_tls(
        timeout: Duration,
        reuse: ConnectionReuse,
        tls: Arc<rustls::ClientConfig>,
    ) -> Self {
        Self::build(timeout, reuse, Some(tls))
    }

    /// The same client, connecting to `address` whatever the URL's host resolves to; the URL's
    /// host is still what `Host`, SNI and the certificate check use (curl's `--connect-to`).
    pub fn connecting_to(self, address: SocketAddr) -> Self {
        Self {
            connect_to: Some(address),
            ..self
        }
    }

    fn build(
        timeout: Duration,
        reuse: ConnectionReuse,
        #[cfg(feature = "tls")] tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Self {
        let mut connector = awc::Connector::new();
        #[cfg(feature = "tls")]
        if let Some(tls) = tls {
            connector = connector.rustls_0_23(tls);
        }
        if reuse == ConnectionReuse::WhileBusy {
            connector = connector.conn_keep_alive(BUSY_IDLE_TIMEOUT);
        }
        let client = awc::Client::builder()
            .connector(connector)
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
            in_flight: Rc::default(),
            connect_to: None,
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
        if let Some(address) = self.connect_to {
            request = request.address(address);
        }
        let in_flight = InFlight::enter(&self.in_flight);
        let keep_connection = match self.reuse {
            ConnectionReuse::FreshPerCall => false,
            ConnectionReuse::WhileBusy => in_flight.others > 0,
            ConnectionReuse::Pooled => true,
        };
        if !keep_connection {
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
        let outcome = match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(CallError::Timeout(self.timeout)),
        };
        // Counted until the body is in: a call that starts meanwhile overlaps this one.
        drop(in_flight);
        outcome
    }
}

/// One call counted in flight on its client until dropped (a cancelled call included).
struct InFlight<'a> {
    count: &'a Cell<usize>,
    /// How many other calls were in flight when this one started.
    others: usize,
}

impl<'a> InFlight<'a> {
    fn enter(count: &'a Cell<usize>) -> Self {
        let others = count.get();
        count.set(others + 1);
        Self { count, others }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.count.set(self.count.get() - 1);
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
