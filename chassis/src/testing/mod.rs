//! Test support (feature `testing`): real servers on `127.0.0.1:0`, readiness polling, and a
//! recording backend that stands in for a sibling service in a service's own tests.
//!
//! # Layout
//! - this file: starting a server on loopback, waiting until it is ready, a closed port.
//! - `raw`: a client that speaks raw HTTP/1.1 bytes, as a misbehaving one would.
//! - `response`: sending a request with awc and reading the whole answer ([`TestResponse`]).
//! - `backend`: [`RecordingBackend`], a sibling service that records what it is asked.
//! - `telemetry`: captured log output and a span collector on loopback.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod backend;
mod raw;
mod response;
mod telemetry;

pub use backend::{RecordedRequest, RecordingBackend, Responder, StubReply};
pub use raw::{RawAnswer, RawConnection, raw_exchange};
pub use response::{TestResponse, request, send};
pub use telemetry::{CapturedLog, SpanCollector, ZipkinSpan};

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

/// How long [`wait_ready`] polls before it gives up.
pub const READY_WITHIN: Duration = Duration::from_secs(10);

/// Binds `127.0.0.1:0`, starts the server `start` builds on it in the current runtime, and
/// returns its address. The listener is bound before this returns, so connections are accepted
/// from then on.
///
/// # Panics
/// When binding or building the server fails: a test cannot go on without it.
pub fn spawn_server<F, S>(start: F) -> SocketAddr
where
    F: FnOnce(TcpListener) -> io::Result<S>,
    S: Future<Output = io::Result<()>> + 'static,
{
    let listener = crate::server::bind_loopback(0).expect("bind 127.0.0.1:0");
    let address = listener.local_addr().expect("local address");
    let server = start(listener).expect("server starts");
    actix_web::rt::spawn(server);
    address
}

/// Polls `GET http://{address}{path}` until it answers 2xx, for at most [`READY_WITHIN`].
pub async fn wait_ready(address: SocketAddr, path: &str) -> Result<(), String> {
    let client = awc::Client::default();
    let url = format!("http://{address}{path}");
    let deadline = Instant::now() + READY_WITHIN;
    let mut last = String::from("never answered");
    let mut pause = Duration::from_millis(5);
    while Instant::now() < deadline {
        match client.get(&url).send().await {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(response) => last = format!("status {}", response.status()),
            Err(error) => last = error.to_string(),
        }
        // Back off between polls of a server that is still starting; bounded by the deadline.
        actix_web::rt::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    }
    Err(format!("{url} not ready within {READY_WITHIN:?}: {last}"))
}

/// A loopback port where nothing listens (bound, then released): a backend that is down.
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
    // Dropped here: connections are refused from now on.
}
