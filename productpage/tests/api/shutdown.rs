//! SIGTERM to the real productpage process while requests are in flight, spoken to in raw
//! HTTP/1.1: every request it has read gets its whole answer, each kept-alive connection is told
//! `Connection: close` on its answer and then closed cleanly, and the process exits.
#![allow(clippy::expect_used)]

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chassis::testing::wait_ready;
use chassis::testing::{READY_WITHIN, RawAnswer, RawConnection, RecordingBackend, StubReply};

use crate::helpers::{DETAILS_JSON, closed_port};

/// Requests in flight on their own connections when the signal comes.
const IN_FLIGHT: usize = 4;
/// How long details takes to answer: requests are still in flight when the signal is handled.
const DETAILS_DELAY: Duration = Duration::from_secs(1);
/// How long reviews takes: one request still in hand long after the others are answered (and
/// within productpage's 3 s for a try at reviews).
const REVIEWS_DELAY: Duration = Duration::from_secs(2);
const REQUEST: &[u8] = b"GET /api/v1/products/0 HTTP/1.1\r\nHost: productpage\r\n\r\n";
const LONG_REQUEST: &[u8] = b"GET /api/v1/products/0/reviews HTTP/1.1\r\nHost: productpage\r\n\r\n";

/// Kills the process if the test ends before it has exited.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_productpage(
    details: &RecordingBackend,
    reviews: &RecordingBackend,
) -> (Running, SocketAddr) {
    let port = closed_port();
    let child = Command::new(env!("CARGO_BIN_EXE_productpage"))
        .arg(port.to_string())
        .env("DETAILS_HOSTNAME", details.host())
        .env("DETAILS_SERVICE_PORT", details.port())
        .env("REVIEWS_HOSTNAME", reviews.host())
        .env("REVIEWS_SERVICE_PORT", reviews.port())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("productpage starts");
    (Running(child), SocketAddr::from(([127, 0, 0, 1], port)))
}

/// Waits until `backend` has received `count` requests: that many are in flight at productpage.
async fn wait_for_calls(backend: &RecordingBackend, count: usize) {
    let deadline = Instant::now() + READY_WITHIN;
    while backend.requests().len() < count {
        assert!(
            Instant::now() < deadline,
            "{count} requests never reached the backend"
        );
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
}

fn assert_whole_and_closing(answer: Option<RawAnswer>, what: &str) {
    let answer = answer.unwrap_or_else(|| panic!("{what}: no answer"));
    assert_eq!(answer.status(), 200, "{what}: {answer:?}");
    let body: serde_json::Value = serde_json::from_slice(&answer.body)
        .unwrap_or_else(|error| panic!("{what}: not the whole body ({error}): {answer:?}"));
    let sent: serde_json::Value = serde_json::from_str(DETAILS_JSON).expect("JSON");
    assert_eq!(body, sent, "{what}: the book's details");
    assert!(
        answer.header("connection").eq_ignore_ascii_case("close"),
        "{what}: told the connection closes: {answer:?}"
    );
}

#[actix_web::test]
async fn sigterm_answers_every_request_read_then_closes_each_connection_cleanly() {
    let details =
        RecordingBackend::start(StubReply::json(200, DETAILS_JSON).delayed(DETAILS_DELAY));
    let reviews = RecordingBackend::start(
        StubReply::json(200, r#"{"id": "0", "reviews": []}"#).delayed(REVIEWS_DELAY),
    );
    let (productpage, address) = start_productpage(&details, &reviews);
    wait_ready(address, "/health").await.expect("ready");

    // A kept-alive connection between two requests when the signal comes.
    let mut kept_alive = RawConnection::open(address).await;
    let first = kept_alive.exchange(REQUEST).await.expect("first answer");
    assert_eq!(first.status(), 200, "{first:?}");
    assert!(!first.header("connection").eq_ignore_ascii_case("close"));

    let in_flight: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            actix_web::rt::spawn(async move {
                let mut connection = RawConnection::open(address).await;
                let answer = connection.exchange(REQUEST).await;
                (answer, connection.closed_by_server().await)
            })
        })
        .collect();
    // Two requests in one write: the second is read while the first waits for details.
    let pipelined = actix_web::rt::spawn(async move {
        let mut connection = RawConnection::open(address).await;
        connection
            .send(&[REQUEST, REQUEST].concat())
            .await
            .expect("both sent");
        let first = connection.answer().await;
        let second = connection.answer().await;
        (first, second, connection.closed_by_server().await)
    });
    // One request in hand until long after the others: the server is still draining when the
    // kept-alive connection's next request comes.
    let long = actix_web::rt::spawn(async move {
        let mut connection = RawConnection::open(address).await;
        let answer = connection.exchange(LONG_REQUEST).await;
        (answer, connection.closed_by_server().await)
    });
    wait_for_calls(&details, 1 + IN_FLIGHT + 1).await;
    wait_for_calls(&reviews, 1).await;

    let signalled = Command::new("kill")
        .args(["-TERM", &productpage.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(signalled.success());

    let mut in_flight = in_flight.into_iter();
    let (answer, closed) = in_flight.next().expect("one").await.expect("task");
    // The signal has been handled: this answer says the connection closes.
    assert_whole_and_closing(answer, "in flight");
    assert!(closed, "in flight: closed after the answer");
    // The kept-alive connection's next request arrives while the server drains: it may have been
    // sent before the client could know.
    let second = kept_alive.exchange(REQUEST).await;
    assert_whole_and_closing(second, "kept alive, second request");
    assert!(
        kept_alive.closed_by_server().await,
        "kept alive: closed after"
    );
    for request in in_flight {
        let (answer, closed) = request.await.expect("task");
        assert_whole_and_closing(answer, "in flight");
        assert!(closed, "in flight: closed after the answer");
    }
    let (first, second, closed) = pipelined.await.expect("task");
    let first = first.expect("pipelined: first answer");
    assert_eq!(first.status(), 200, "{first:?}");
    assert_whole_and_closing(second, "pipelined, second");
    assert!(closed, "pipelined: closed after the second answer");
    let (answer, closed) = long.await.expect("task");
    let answer = answer.expect("the long request's answer");
    assert_eq!(answer.status(), 200, "{answer:?}");
    assert!(answer.header("connection").eq_ignore_ascii_case("close"));
    assert!(closed, "long: closed after the answer");

    let exited = actix_web::rt::task::spawn_blocking(move || {
        let mut productpage = productpage;
        productpage.0.wait()
    });
    let status = actix_web::rt::time::timeout(Duration::from_secs(15), exited)
        .await
        .expect("productpage exits within its grace period")
        .expect("task")
        .expect("exit status");
    assert!(status.success(), "{status}");
}
