//! How productpage connects to its backends by default: a fresh connection per page for a
//! sequential client (so a per-connection balancer rotates reviews versions), connections kept
//! for reuse under concurrent load. Counted at the stand-in backends, by the connections they
//! accept and the `Connection` header of each call.

use chassis::testing::StubReply;
use futures_util::future::join_all;

use crate::helpers::{DETAILS_JSON, TestApp, in_turn, spawn_app};

#[actix_web::test]
async fn a_sequential_client_gets_a_new_backend_connection_for_every_page() {
    let app = spawn_app().await;

    for _ in 0..5 {
        assert_eq!(app.product_page().await.status.as_u16(), 200);
    }

    for (service, backend) in [("details", &app.details), ("reviews", &app.reviews)] {
        assert_eq!(backend.requests().len(), 5, "{service} calls");
        assert_eq!(backend.connections(), 5, "{service} connections");
        for request in backend.requests() {
            assert_eq!(request.header("connection"), Some("close"), "{service}");
        }
    }
}

#[actix_web::test]
async fn a_sequential_client_right_after_concurrent_ones_still_gets_new_connections() {
    // A burst of overlapping pages leaves kept connections open; the lone pages after it must
    // not take one (they would be balanced as the burst was).
    let burst = workers() + 4;
    let held = StubReply::json(200, DETAILS_JSON).held_until_overlapping(burst);
    let mut replies = vec![held; burst];
    replies.push(StubReply::json(200, DETAILS_JSON));
    let app = TestApp::builder()
        .details_with(in_turn(replies))
        .spawn()
        .await;
    join_all((0..burst).map(|_| app.product_page())).await;

    for _ in 0..3 {
        assert_eq!(app.product_page().await.status.as_u16(), 200);
    }

    let requests = app.details.requests();
    assert_eq!(requests.len(), burst + 3);
    let (during, after) = requests.split_at(burst);
    assert!(
        during
            .iter()
            .any(|request| request.header("connection") != Some("close")),
        "the burst kept no connection, so this test shows nothing"
    );
    for request in after {
        assert_eq!(request.header("connection"), Some("close"));
        assert!(
            during
                .iter()
                .all(|busy| busy.connection != request.connection),
            "a lone page reused a connection kept during the burst"
        );
    }
}

#[actix_web::test]
async fn concurrent_clients_keep_backend_connections_for_reuse() {
    // Every page's details call is held until all of them are in flight, so they overlap for
    // certain: on each of productpage's workers, every call but the first starts while another
    // is in flight, and keeps its connection for the next busy call. How soon that call comes is
    // timing, so reuse itself is the benchmark's to show (scripts/bench.sh).
    let pages = workers() + 8;
    let app = TestApp::builder()
        .details(StubReply::json(200, DETAILS_JSON).held_until_overlapping(pages))
        .spawn()
        .await;

    let answers = join_all((0..pages).map(|_| app.product_page())).await;

    for answer in answers {
        assert_eq!(answer.status.as_u16(), 200);
    }
    let requests = app.details.requests();
    assert_eq!(requests.len(), pages);
    let kept = requests
        .iter()
        .filter(|request| request.header("connection") != Some("close"))
        .count();
    assert!(
        kept >= pages - workers(),
        "{kept} of {pages} overlapping calls kept their connection ({} workers)",
        workers()
    );
}

/// productpage's workers, as many as actix starts by default: held calls spread over them, and
/// only the first call on each worker finds none other in flight.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
