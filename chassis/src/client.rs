//! The outbound HTTP client every service uses to call another: one per backend and worker, a
//! timeout on the whole call (connect, headers and body), the forwarded headers, and by default a
//! fresh connection per call unless the worker is busy with other calls.
//!
//! Why fresh connections: without a mesh, kube-proxy balances per TCP connection, so a pooled
//! keep-alive connection would pin productpage to one reviews pod and the "refresh to see v1, v2,
//! v3" experience would break. Upstream opens a new connection per call for the same reason. A
//! sequential caller only ever gets fresh connections; under concurrent load, connections are
//! reused, which costs the rotation nothing (many connections are open at once, spread over the
//! pods) and saves a TCP handshake per call. Full pooling is a switch
//! ([`ConnectionReuse::Pooled`]) for meshes and benchmarks.

use std::net::SocketAddr;
#[cfg(feature = "tls")]
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use tracing::Instrument;

use crate::propagation::ForwardedHeaders;

/// Largest body accepted from a backend; Bookinfo's answers are a few hundred bytes.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long a connection kept by [`ConnectionReuse::WhileBusy`] may wait idle for the next busy
/// call. Under load the next call comes within microseconds, unless the process is not scheduled:
/// on a machine busy with other work that can take tens of milliseconds, long enough to expire a
/// 50 ms window (this used to be 50 ms). A lone call never takes a kept connection
/// (it has a client of its own), so this bounds only how long connections left over from a burst
/// stay open, never whether a sequential caller gets a fresh one; well under actix-web's 5 s
/// keep-alive, so our side closes first.
pub const BUSY_IDLE_TIMEOUT: Duration = Duration::from_secs(1);

/// Whether outbound connections are kept open and reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnectionReuse {
    /// A new TCP connection for every call (`Connection: close`), like upstream.
    FreshPerCall,
    /// A fresh connection per call, except for a call started while its worker thread is busy
    /// (serving another request, or with another outbound call in flight): that one takes, and
    /// then keeps for [`BUSY_IDLE_TIMEOUT`], a connection from a pool only such calls use. A
    /// sequential caller is one request and one call at a time, so it gets a new connection (and
    /// a new balancing choice) every time, even right after a burst of load; concurrent load
    /// reuses connections.
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
#[derive(Clone)]
pub struct BackendClient {
    /// Calls that keep their connection: every call when pooled, busy ones while busy.
    kept: awc::Client,
    /// Calls that close their connection (`Connection: close`): a pool of their own, which never
    /// holds an idle connection, so such a call always opens a new one.
    fresh: awc::Client,
    timeout: Duration,
    reuse: ConnectionReuse,
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
        let client = |idle| {
            awc_client(
                idle,
                #[cfg(feature = "tls")]
                tls.clone(),
            )
        };
        let kept = match reuse {
            ConnectionReuse::WhileBusy => client(Some(BUSY_IDLE_TIMEOUT)),
            _ => client(None),
        };
        Self {
            kept,
            fresh: client(None),
            timeout,
            reuse,
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
        if span.is_disabled() {
            // Nobody records it: no span to enter and leave at every poll of the call, and no
            // context of its own, so the incoming headers go as they came.
            return self.send(url, headers).await;
        }
        let headers = crate::telemetry::context::with_span_context(&span, headers);
        let outcome = self.send(url, &headers).instrument(span.clone()).await;
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

    async fn send(&self, url: &str, headers: &ForwardedHeaders) -> Result<BackendReply, CallError> {
        let in_flight = crate::busy::Calling::enter();
        let keep_connection = match self.reuse {
            ConnectionReuse::FreshPerCall => false,
            ConnectionReuse::WhileBusy => in_flight.busy,
            ConnectionReuse::Pooled => true,
        };
        let mut request = if keep_connection {
            headers.apply(self.kept.get(url))
        } else {
            headers.apply(self.fresh.get(url)).force_close()
        };
        if let Some(address) = self.connect_to {
            request = request.address(address);
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

/// An awc client for one backend; with `idle`, its kept connections close after that long idle;
/// with `tls`, its `https` calls use that configuration.
fn awc_client(
    idle: Option<Duration>,
    #[cfg(feature = "tls")] tls: Option<Arc<rustls::ClientConfig>>,
) -> awc::Client {
    let mut connector = awc::Connector::new();
    #[cfg(feature = "tls")]
    if let Some(tls) = tls {
        connector = connector.rustls_0_23(tls);
    }
    if let Some(idle) = idle {
        connector = connector.conn_keep_alive(idle);
    }
    awc::Client::builder()
        .connector(connector)
        // Our own deadline covers the body too; awc's would cover only the headers.
        .disable_timeout()
        // A sibling that redirects is misbehaving: its answer is reported as it is, never
        // followed to wherever `Location` points.
        .disable_redirects()
        .no_default_headers()
        .finish()
}

/// The client span of one call, named `GET host:port` (the path would make a name per product).
/// Its fields are built only when the span is recorded: with spans off it costs a level check.
fn client_span(url: &str) -> tracing::Span {
    let authority = Authority(url);
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

/// The `host:port` of an absolute URL, found when it is written (only for a recorded span).
#[derive(Clone, Copy)]
struct Authority<'a>(&'a str);

impl std::fmt::Display for Authority<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(authority(self.0))
    }
}

/// The `host:port` of an absolute URL (what follows the scheme, up to the path), without
/// parsing the whole URL: the calls' URLs are built from configured base URLs.
fn authority(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or(after_scheme)
}

#[cfg(test)]
mod tests {
    use super::authority;

    #[test]
    fn the_authority_is_host_and_port() {
        assert_eq!(authority("http://reviews:9080/reviews/0"), "reviews:9080");
        assert_eq!(authority("http://[::1]:9080"), "[::1]:9080");
        assert_eq!(authority("http://details?x=1"), "details");
        assert_eq!(authority("no-scheme/path"), "no-scheme");
    }
}
