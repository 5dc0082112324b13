//! The recording backend: a loopback server standing in for a sibling service, recording
//! every request and answering what the test tells it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::spawn_server;

/// One request as a [`RecordingBackend`] saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The body, as text (lossy for non-UTF-8).
    pub body: String,
    /// Which TCP connection it came on: requests on one connection share the number.
    pub connection: u64,
}

impl RecordedRequest {
    /// The first value of `name` (lower-case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }
}

/// What a [`RecordingBackend`] answers.
#[derive(Debug, Clone)]
pub struct StubReply {
    pub status: u16,
    pub body: String,
    pub content_type: &'static str,
    /// Wait this long before answering: a slow backend.
    pub delay: Duration,
    /// A `Location` header, for redirects.
    pub location: Option<String>,
    /// Held until this many requests are held at once: calls that overlap for certain.
    pub overlap: Option<Arc<tokio::sync::Barrier>>,
}

impl StubReply {
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            content_type: "application/json",
            delay: Duration::ZERO,
            location: None,
            overlap: None,
        }
    }

    /// A `text/html` answer: what a proxy in the way says instead of the service's JSON.
    pub fn html(status: u16, body: impl Into<String>) -> Self {
        Self {
            content_type: "text/html",
            ..Self::json(status, body)
        }
    }

    /// A 200 that is not JSON: a proxy's page where the service's JSON should be.
    pub fn not_json() -> Self {
        Self::html(200, "<html>upstream connect error</html>")
    }

    /// A 302 to `location`.
    pub fn redirect(location: impl Into<String>) -> Self {
        Self {
            location: Some(location.into()),
            ..Self::html(302, "")
        }
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Answered only once `calls` requests given this reply (this one included) are waiting
    /// together, or after [`OVERLAP_WAIT`]: so many calls are certainly in flight at once.
    pub fn held_until_overlapping(mut self, calls: usize) -> Self {
        self.overlap = Some(Arc::new(tokio::sync::Barrier::new(calls)));
        self
    }
}

/// How long a reply [`StubReply::held_until_overlapping`] waits for the others at most: a caller
/// that never sends them gets its answers late, and its test fails on what it asserts, not by
/// hanging.
pub const OVERLAP_WAIT: Duration = Duration::from_secs(10);

/// What a [`RecordingBackend`] answers each request with; kept by test builders that choose
/// each backend's answers before starting it.
pub type Responder = Arc<dyn Fn(&RecordedRequest) -> StubReply + Send + Sync>;

/// A loopback HTTP server that records every request and answers what it is told.
#[derive(Clone)]
pub struct RecordingBackend {
    pub address: SocketAddr,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl RecordingBackend {
    /// Answers every request with `reply`.
    pub fn start(reply: StubReply) -> Self {
        Self::start_with(move |_| reply.clone())
    }

    /// Answers each request with what `respond` returns for it.
    pub fn start_with<F>(respond: F) -> Self
    where
        F: Fn(&RecordedRequest) -> StubReply + Send + Sync + 'static,
    {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let respond: Responder = Arc::new(respond);
        let recorded = requests.clone();
        let address = spawn_server(move |listener| {
            let server = actix_web::HttpServer::new(move || {
                actix_web::App::new()
                    .app_data(web::Data::new(recorded.clone()))
                    .app_data(web::Data::new(respond.clone()))
                    .default_service(web::to(record_and_answer))
            })
            .workers(1)
            .on_connect(|_, extensions| {
                extensions.insert(ConnectionNumber(
                    NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed),
                ));
            })
            .listen(listener)?
            .run();
            Ok(server)
        });
        Self { address, requests }
    }

    /// `http://127.0.0.1:port`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Host and port, for configs that take them apart.
    pub fn host(&self) -> String {
        self.address.ip().to_string()
    }

    pub fn port(&self) -> String {
        self.address.port().to_string()
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().expect("not poisoned").clone()
    }

    /// How many TCP connections the requests so far came on.
    pub fn connections(&self) -> usize {
        let requests = self.requests.lock().expect("not poisoned");
        let numbers: std::collections::BTreeSet<u64> =
            requests.iter().map(|request| request.connection).collect();
        numbers.len()
    }
}

/// Numbers the connections of every [`RecordingBackend`] in the process.
static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(0);

/// The number of the connection a request came on.
#[derive(Clone, Copy)]
struct ConnectionNumber(u64);

async fn record_and_answer(
    request: HttpRequest,
    body: web::Bytes,
    recorded: web::Data<Arc<Mutex<Vec<RecordedRequest>>>>,
    respond: web::Data<Responder>,
) -> HttpResponse {
    let seen = RecordedRequest {
        method: request.method().to_string(),
        path: request.uri().to_string(),
        headers: request
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
        connection: request
            .conn_data::<ConnectionNumber>()
            .expect("numbered on connect")
            .0,
    };
    let reply = respond(&seen);
    recorded.lock().expect("not poisoned").push(seen);
    if let Some(overlap) = &reply.overlap {
        let _ = tokio::time::timeout(OVERLAP_WAIT, overlap.wait()).await;
    }
    if !reply.delay.is_zero() {
        actix_web::rt::time::sleep(reply.delay).await;
    }
    let mut response =
        HttpResponse::build(StatusCode::from_u16(reply.status).expect("valid status"));
    if let Some(location) = reply.location {
        response.insert_header((actix_web::http::header::LOCATION, location));
    }
    response.content_type(reply.content_type).body(reply.body)
}
