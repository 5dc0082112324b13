//! Test support (feature `testing`): real servers on `127.0.0.1:0`, readiness polling, and a
//! recording backend that stands in for a sibling service in a service's own tests.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::dev::Server;
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::{HttpRequest, HttpResponse, web};

/// How long [`wait_ready`] polls before it gives up.
pub const READY_WITHIN: Duration = Duration::from_secs(10);

/// Binds `127.0.0.1:0`, starts the server `start` builds on it in the current runtime, and
/// returns its address. The listener is bound before this returns, so connections are accepted
/// from then on.
///
/// # Panics
/// When binding or building the server fails: a test cannot go on without it.
pub fn spawn_server<F>(start: F) -> SocketAddr
where
    F: FnOnce(TcpListener) -> io::Result<Server>,
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

/// Sends `request` as raw bytes on a fresh connection, as a misbehaving client would, and reads
/// until the server closes the connection.
///
/// # Panics
/// When the connection fails or the server keeps it open for more than [`READY_WITHIN`].
pub async fn raw_exchange(address: SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream.write_all(request).await.expect("request sent");
    let mut answer = Vec::new();
    tokio::time::timeout(READY_WITHIN, stream.read_to_end(&mut answer))
        .await
        .unwrap_or_else(|_| panic!("{address}: connection still open after {READY_WITHIN:?}"))
        .expect("answer read");
    String::from_utf8_lossy(&answer).into_owned()
}

/// One client connection kept alive across requests, spoken to in raw HTTP/1.1: what a load
/// generator or a sidecar's pool does, byte for byte under the test's control.
pub struct RawConnection {
    stream: tokio::net::TcpStream,
    received: Vec<u8>,
}

/// An answer read on a [`RawConnection`].
#[derive(Debug)]
pub struct RawAnswer {
    /// The status line and headers, as sent.
    pub head: String,
    pub body: Vec<u8>,
}

impl RawAnswer {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0)
    }

    /// The first value of header `name` (any case), or "".
    pub fn header(&self, name: &str) -> &str {
        self.head
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .find(|(field, _)| field.trim().eq_ignore_ascii_case(name))
            .map_or("", |(_, value)| value.trim())
    }
}

impl RawConnection {
    /// Connects to `address`.
    ///
    /// # Panics
    /// When the connection is refused.
    pub async fn open(address: SocketAddr) -> Self {
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect");
        Self {
            stream,
            received: Vec::new(),
        }
    }

    /// Sends `request` and reads one answer (its head and a `Content-Length` body), or `None`
    /// when the connection ends first: a request that got no answer.
    ///
    /// # Panics
    /// When no whole answer or end comes within [`READY_WITHIN`].
    pub async fn exchange(&mut self, request: &[u8]) -> Option<RawAnswer> {
        use tokio::io::AsyncWriteExt;

        self.stream.write_all(request).await.ok()?;
        tokio::time::timeout(READY_WITHIN, self.read_answer())
            .await
            .unwrap_or_else(|_| panic!("no answer nor end within {READY_WITHIN:?}"))
    }

    /// Whether the server closes the connection, with nothing more sent, within [`READY_WITHIN`].
    pub async fn closed_by_server(&mut self) -> bool {
        use tokio::io::AsyncReadExt;

        let mut rest = Vec::new();
        matches!(
            tokio::time::timeout(READY_WITHIN, self.stream.read_to_end(&mut rest)).await,
            Ok(Ok(0))
        ) && self.received.is_empty()
    }

    async fn read_answer(&mut self) -> Option<RawAnswer> {
        let head_end = loop {
            if let Some(at) = self
                .received
                .windows(4)
                .position(|bytes| bytes == b"\r\n\r\n")
            {
                break at + 4;
            }
            self.read_more().await?;
        };
        let head = String::from_utf8_lossy(&self.received[..head_end]).into_owned();
        let mut answer = RawAnswer {
            head,
            body: Vec::new(),
        };
        let length: usize = answer.header("content-length").parse().unwrap_or(0);
        while self.received.len() < head_end + length {
            self.read_more().await?;
        }
        answer.body = self.received[head_end..head_end + length].to_vec();
        self.received.drain(..head_end + length);
        Some(answer)
    }

    /// Reads what has arrived; `None` at the connection's end.
    async fn read_more(&mut self) -> Option<()> {
        use tokio::io::AsyncReadExt;

        let mut chunk = [0; 4096];
        match self.stream.read(&mut chunk).await {
            Ok(0) | Err(_) => None,
            Ok(read) => {
                self.received.extend_from_slice(&chunk[..read]);
                Some(())
            }
        }
    }
}

/// Largest answer [`send`] reads; Bookinfo's pages are a few tens of kilobytes.
const MAX_TEST_BODY_BYTES: usize = 1024 * 1024;

/// An HTTP answer read whole, and how long it took: what tests assert on.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    pub elapsed: Duration,
}

impl TestResponse {
    /// The first value of `name`, as text ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|value| value.to_str().expect("a text header"))
            .unwrap_or("")
    }

    /// The body as JSON.
    ///
    /// # Panics
    /// When the body is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {:?}", self.body))
    }

    /// The `error` message of a JSON error body (`{"error": "..."}`).
    ///
    /// # Panics
    /// When there is none.
    pub fn error_message(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error message: {:?}", self.body))
            .to_owned()
    }

    /// How often `needle` occurs in the body.
    pub fn count(&self, needle: &str) -> usize {
        self.body.matches(needle).count()
    }
}

/// Sends `request` (with `body`, if any) and reads the whole answer.
///
/// # Panics
/// When no answer comes, or its body is not UTF-8: the test cannot go on.
pub async fn send(request: awc::ClientRequest, body: Option<String>) -> TestResponse {
    let target = request.get_uri().to_string();
    let started = Instant::now();
    let mut response = match body {
        Some(body) => request.send_body(body).await,
        None => request.send().await,
    }
    .unwrap_or_else(|error| panic!("{target}: no answer: {error}"));
    let body = response
        .body()
        .limit(MAX_TEST_BODY_BYTES)
        .await
        .unwrap_or_else(|error| panic!("{target}: body not read: {error}"));
    TestResponse {
        status: response.status(),
        headers: response.headers().clone(),
        body: String::from_utf8(body.to_vec()).expect("a UTF-8 body"),
        elapsed: started.elapsed(),
    }
}

/// `method url` with `headers` added as given and an optional body, answered whole.
pub async fn request(
    client: &awc::Client,
    method: actix_web::http::Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> TestResponse {
    let mut request = client.request(method, url);
    for (name, value) in headers {
        request = request.append_header((*name, *value));
    }
    send(request, body.map(str::to_owned)).await
}

/// A loopback port where nothing listens (bound, then released): a backend that is down.
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
    // Dropped here: connections are refused from now on.
}

/// One request as a [`RecordingBackend`] saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The body, as text (lossy for non-UTF-8).
    pub body: String,
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
}

impl StubReply {
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            content_type: "application/json",
            delay: Duration::ZERO,
            location: None,
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
}

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
}

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
    };
    let reply = respond(&seen);
    recorded.lock().expect("not poisoned").push(seen);
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
