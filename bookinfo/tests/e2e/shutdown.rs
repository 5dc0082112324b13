//! Stopping the launcher's servers (all, or productpage alone) drains them as SIGTERM drains a
//! service: requests that reach productpage as the stop begins, on a kept-alive connection or
//! pipelined, are all answered in full (with the backends still there to call), each connection
//! is closed after its answer, and the stop completes.

use chassis::testing::{RawAnswer, RawConnection};
use futures_util::FutureExt;

use crate::helpers::{TestBookinfo, spawn_bookinfo};

/// Calls details.
const DETAILS: &[u8] = b"GET /api/v1/products/0 HTTP/1.1\r\nHost: productpage\r\n\r\n";
/// Calls reviews, and through v2 or v3 ratings.
const REVIEWS: &[u8] = b"GET /api/v1/products/0/reviews HTTP/1.1\r\nHost: productpage\r\n\r\n";

/// The answer is productpage's whole, successful one, and tells the client the connection
/// closes: it was given while the server drained.
fn assert_whole_and_closing(answer: Option<RawAnswer>, what: &str) -> serde_json::Value {
    let answer = answer.unwrap_or_else(|| panic!("{what}: no answer"));
    assert_eq!(answer.status(), 200, "{what}: {answer:?}");
    assert!(
        answer.header("connection").eq_ignore_ascii_case("close"),
        "{what}: told the connection closes: {answer:?}"
    );
    serde_json::from_slice(&answer.body)
        .unwrap_or_else(|error| panic!("{what}: not the whole body ({error}): {answer:?}"))
}

#[actix_web::test]
async fn stopping_the_launcher_answers_every_request_productpage_has_read() {
    let app = spawn_bookinfo().await;
    let (mut kept_alive, mut pipelined) = idle_connections(&app).await;
    send_as_the_stop_begins(app.bookinfo.stop_all(), &mut kept_alive, &mut pipelined).await;
    assert_every_request_answered(kept_alive, pipelined).await;
}

#[actix_web::test]
async fn stopping_productpage_alone_answers_every_request_it_has_read() {
    let app = spawn_bookinfo().await;
    let (mut kept_alive, mut pipelined) = idle_connections(&app).await;
    let stopping = async {
        app.bookinfo
            .stop("productpage-v1")
            .await
            .expect("productpage stops");
    };
    send_as_the_stop_begins(stopping, &mut kept_alive, &mut pipelined).await;
    assert_every_request_answered(kept_alive, pipelined).await;
}

/// Two connections to productpage: one kept alive after a first answer, one fresh.
async fn idle_connections(app: &TestBookinfo) -> (RawConnection, RawConnection) {
    let mut kept_alive = RawConnection::open(app.productpage()).await;
    let first = kept_alive.exchange(DETAILS).await.expect("first answer");
    assert_eq!(first.status(), 200, "{first:?}");
    assert!(!first.header("connection").eq_ignore_ascii_case("close"));
    (kept_alive, RawConnection::open(app.productpage()).await)
}

/// Begins `stop` (productpage drains once the future has been polled once), then sends what a
/// client sends before it could know: the idle connection's next request, and a pipelined pair
/// whose second request is read while the first is in hand; completes once `stop` has.
async fn send_as_the_stop_begins(
    stop: impl Future<Output = ()>,
    kept_alive: &mut RawConnection,
    pipelined: &mut RawConnection,
) {
    let mut stopping = Box::pin(stop);
    assert!(
        (&mut stopping).now_or_never().is_none(),
        "the stop waits for the open connections"
    );
    kept_alive
        .send(DETAILS)
        .await
        .expect("sent on the idle connection");
    pipelined
        .send(&[REVIEWS, DETAILS].concat())
        .await
        .expect("both sent");
    stopping.await;
}

async fn assert_every_request_answered(
    mut kept_alive: RawConnection,
    mut pipelined: RawConnection,
) {
    let details = assert_whole_and_closing(kept_alive.answer().await, "kept alive, second");
    assert_eq!(details["author"], "William Shakespeare", "{details}");
    assert!(
        kept_alive.closed_by_server().await,
        "kept alive: closed after"
    );
    let reviews = pipelined.answer().await.expect("pipelined: first answer");
    assert_eq!(reviews.status(), 200, "{reviews:?}");
    let reviews: serde_json::Value = serde_json::from_slice(&reviews.body).expect("whole body");
    assert_eq!(
        reviews["reviews"].as_array().map(Vec::len),
        Some(2),
        "{reviews}"
    );
    let details = assert_whole_and_closing(pipelined.answer().await, "pipelined, second");
    assert_eq!(details["author"], "William Shakespeare", "{details}");
    assert!(
        pipelined.closed_by_server().await,
        "pipelined: closed after"
    );
}
