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
            .no_default_headers()
            .finish();
        Self {
            client,
            timeout,
            reuse,
        }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// `GET url` with the forwarded headers; the status and body, or why there was none.
    pub async fn get(
        &self,
        url: &str,
        headers: &ForwardedHeaders,
    ) -> Result<BackendReply, CallError> {
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
