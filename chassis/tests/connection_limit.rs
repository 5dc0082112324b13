//! `SERVER_MAX_CONNECTIONS` on a real server: past the limit, connections are neither refused nor
//! dropped; they wait in the kernel's accept queue, unread, and each is taken (and its request
//! answered) when an open connection closes. Linux: the queue is read from `/proc/net/tcp`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use chassis::limits::ServerLimits;
use chassis::metrics::MetricsRegistry;
use chassis::telemetry::ServiceIdentity;
use chassis::testing::{READY_WITHIN, RawConnection};
use tokio::sync::Semaphore;

const LIMIT: usize = 2;
const BEYOND: usize = 2;
const REQUEST: &[u8] = b"GET /held HTTP/1.1\r\nHost: test\r\n\r\n";

/// A server allowing [`LIMIT`] connections whose `/held` answers once the test lets it through
/// `gate`; `entered` counts the requests the app has started.
fn start(gate: Arc<Semaphore>, entered: Arc<AtomicUsize>) -> SocketAddr {
    chassis::testing::spawn_server(move |listener| {
        chassis::server::serve_with(
            listener,
            &ServiceIdentity::new("limited", "v1"),
            &ServerLimits {
                max_connections: LIMIT,
                ..ServerLimits::default()
            },
            MetricsRegistry::new(),
            move |cfg| {
                let (gate, entered) = (gate.clone(), entered.clone());
                cfg.route(
                    "/held",
                    web::get().to(move || {
                        let (gate, entered) = (gate.clone(), entered.clone());
                        async move {
                            entered.fetch_add(1, Ordering::SeqCst);
                            gate.acquire().await.expect("gate open").forget();
                            HttpResponse::Ok().body("served")
                        }
                    }),
                );
            },
        )
    })
}

/// Connections on `address`'s listening socket that the kernel has completed and the server has
/// not yet accepted (the listener's receive queue in `/proc/net/tcp`).
fn accept_queue(address: SocketAddr) -> usize {
    let local = format!("0100007F:{:04X}", address.port());
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    table
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|fields| fields[1] == local && fields[3] == "0A")
        .map(|fields| {
            let (_, received) = fields[4].split_once(':').expect("tx:rx");
            usize::from_str_radix(received, 16).expect("hex")
        })
        .expect("the listening socket")
}

/// Polls until `done` holds, for at most [`READY_WITHIN`].
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + READY_WITHIN;
    while !done() {
        assert!(Instant::now() < deadline, "never: {what}");
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn assert_served(connection: &mut RawConnection) {
    let answer = connection.answer().await.expect("an answer");
    assert_eq!(answer.status(), 200, "{answer:?}");
    assert_eq!(answer.body, b"served");
}

#[actix_web::test]
async fn connections_beyond_the_limit_wait_unaccepted_and_are_served_as_others_close() {
    let gate = Arc::new(Semaphore::new(0));
    let entered = Arc::new(AtomicUsize::new(0));
    let address = start(gate.clone(), entered.clone());

    // One after the other, so that they pass the (first come, first served) gate in this order.
    let mut open = Vec::new();
    for started in 1..=LIMIT {
        let mut connection = RawConnection::open(address).await;
        connection.send(REQUEST).await.expect("sent");
        open.push(connection);
        wait_until("a request within the limit started", || {
            entered.load(Ordering::SeqCst) == started
        })
        .await;
    }

    // Not refused: the kernel completes each connection and takes its request.
    let mut waiting = Vec::new();
    for _ in 0..BEYOND {
        let mut connection = RawConnection::open(address).await;
        connection.send(REQUEST).await.expect("sent");
        waiting.push(connection);
    }
    wait_until("the connections beyond the limit queue", || {
        accept_queue(address) == BEYOND
    })
    .await;
    assert_eq!(entered.load(Ordering::SeqCst), LIMIT);

    // An answered connection kept alive still counts: nothing more is accepted.
    gate.add_permits(1);
    let mut answered = open.remove(0);
    assert_served(&mut answered).await;
    assert_eq!(accept_queue(address), BEYOND);
    assert_eq!(entered.load(Ordering::SeqCst), LIMIT);

    // Once it closes, one waiting connection is accepted and its request started.
    drop(answered);
    wait_until("a waiting connection accepted", || {
        accept_queue(address) == BEYOND - 1 && entered.load(Ordering::SeqCst) == LIMIT + 1
    })
    .await;

    // Every request gets its answer as the connections before it close.
    gate.add_permits(LIMIT - 1 + BEYOND);
    for mut connection in open {
        assert_served(&mut connection).await;
    }
    for connection in &mut waiting {
        assert_served(connection).await;
    }
    assert_eq!(entered.load(Ordering::SeqCst), LIMIT + BEYOND);
}
