//! Sending a request with awc and reading the whole answer, for tests to assert on.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;

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
