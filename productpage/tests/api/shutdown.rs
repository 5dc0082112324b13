//! SIGTERM to the real productpage process while requests are in flight: every request it has
//! read gets its whole answer, and a connection kept busy is closed after its current answer,
//! not cut at the end of the grace period.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chassis::testing::{RawConnection, RecordingBackend, StubReply, wait_ready};

use crate::helpers::closed_port;

/// Requests in flight on their own connections when the signal comes.
const IN_FLIGHT: usize = 4;
/// More requests than a connection kept busy could send within the grace period.
const MOST_KEPT_ALIVE_REQUESTS: usize = 100;

/// Kills the process if the test ends before it has exited.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[actix_web::test]
async fn sigterm_answers_every_request_read_and_closes_busy_connections_after_their_answer() {
    let details = RecordingBackend::start(
        StubReply::json(200, r#"{"id":0,"author":"William Shakespeare"}"#)
            .delayed(Duration::from_millis(300)),
    );
    let port = closed_port();
    let child = Command::new(env!("CARGO_BIN_EXE_productpage"))
        .arg(port.to_string())
        .env("DETAILS_HOSTNAME", details.host())
        .env("DETAILS_SERVICE_PORT", details.port())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("productpage starts");
    let productpage = Running(child);
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    wait_ready(address, "/health").await.expect("ready");
    let url = format!("http://{address}/api/v1/products/0");

    let in_flight: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let url = url.clone();
            actix_web::rt::spawn(async move {
                let response = awc::Client::default().get(url).send().await;
                response.map(|response| response.status().as_u16())
            })
        })
        .collect();
    let busy = actix_web::rt::spawn(async move {
        let mut connection = RawConnection::open(address).await;
        for sent in 1..=MOST_KEPT_ALIVE_REQUESTS {
            let answer = connection
                .exchange(b"GET /api/v1/products/0 HTTP/1.1\r\nHost: productpage\r\n\r\n")
                .await
                .unwrap_or_else(|| panic!("request {sent} on the kept-alive connection was cut"));
            assert_eq!(answer.status(), 200, "{answer:?}");
            if answer.header("connection").eq_ignore_ascii_case("close") {
                return (sent, connection.closed_by_server().await);
            }
        }
        panic!("the connection was never closed");
    });
    let deadline = std::time::Instant::now() + chassis::testing::READY_WITHIN;
    while details.requests().len() < IN_FLIGHT + 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "requests never reached details"
        );
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }

    let signalled = Command::new("kill")
        .args(["-TERM", &productpage.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(signalled.success());

    for request in in_flight {
        let status = request.await.expect("task").expect("an answer");
        assert_eq!(status, 200);
    }
    let (sent, closed) = busy.await.expect("the kept-alive connection's requests");
    assert!(sent >= 1);
    assert!(closed, "the server closes the connection after its answer");
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
