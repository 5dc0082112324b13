//! The open-loop rate against a slow server, and errors when nothing answers.

use std::time::Duration;

use bookinfo::traffic::{self, Pace};
use chassis::testing::StubReply;

use crate::helpers::{PageStub, V1_PAGE, plan};

const RATE: u32 = 40;
const DURATION: Duration = Duration::from_secs(2);
/// Longer than the gap between two pages at `RATE`, so a closed loop would fall behind.
const SLOW: Duration = Duration::from_millis(300);

#[actix_web::test]
async fn a_rate_starts_rate_times_duration_pages_even_when_the_server_is_slow() {
    let stub = PageStub::start(StubReply::html(200, V1_PAGE).delayed(SLOW));
    let mut run = plan(stub.backend.base_url(), Pace::Rate(RATE), u64::MAX);
    run.requests = None;
    run.duration = Some(DURATION);

    let summary = traffic::run(&run, std::future::pending()).await;

    let arrivals = stub.arrivals();
    let expected = f64::from(RATE) * DURATION.as_secs_f64();
    let arrived = arrivals.len() as f64;
    assert!(
        (arrived - expected).abs() <= expected * 0.03,
        "{arrived} requests arrived, expected {expected} ± 3 %"
    );
    // Pages are started on schedule, never early: the first to the last arrival spans at least
    // the schedule's (n - 1) / rate, less a little for the server's own scheduling.
    let span = *arrivals.last().unwrap() - arrivals[0];
    let scheduled = Duration::from_secs_f64((arrived - 1.0) / f64::from(RATE));
    assert!(
        span >= scheduled.mul_f64(0.97),
        "{arrived} requests within {span:?}, scheduled over {scheduled:?}"
    );
    assert_eq!(summary.overall.requests, arrivals.len() as u64);
    assert_eq!(summary.overall.reviews.v1, summary.overall.requests);
    // The slowness shows as latency, not as a lower rate.
    assert!(
        summary.overall.latency_ms(0.5) >= SLOW.as_secs_f64() * 1000.0,
        "{}",
        summary.to_text("")
    );
}

#[actix_web::test]
async fn every_page_is_an_error_when_nothing_answers() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);

    for pace in [Pace::Rate(100), Pace::Concurrency(2)] {
        let summary = traffic::run(&plan(url.clone(), pace, 6), std::future::pending()).await;

        let overall = &summary.overall;
        assert_eq!(overall.requests, 6, "{pace:?}");
        assert_eq!(overall.errors, 6, "{pace:?}");
        let refused = overall
            .failures
            .iter()
            .map(|(failure, count)| (failure.name(), *count))
            .collect::<Vec<_>>();
        assert_eq!(refused, [("refused", 6)], "{pace:?}");
        assert!(overall.status.is_empty(), "{pace:?}");
    }
}

#[actix_web::test]
async fn error_statuses_and_timeouts_are_counted_apart() {
    let failing = PageStub::start(StubReply::html(503, "no healthy upstream"));
    let summary = traffic::run(
        &plan(failing.backend.base_url(), Pace::Concurrency(1), 3),
        std::future::pending(),
    )
    .await;
    assert_eq!(summary.overall.errors, 3);
    assert_eq!(summary.overall.status.get(&503), Some(&3));
    assert_eq!(
        summary.overall.reviews.v1, 0,
        "an error page shows no version"
    );

    let hanging = PageStub::start(StubReply::html(200, V1_PAGE).delayed(Duration::from_secs(5)));
    let mut impatient = plan(hanging.backend.base_url(), Pace::Concurrency(2), 2);
    impatient.timeout = Duration::from_millis(200);
    let summary = traffic::run(&impatient, std::future::pending()).await;
    let failures: Vec<_> = summary
        .overall
        .failures
        .iter()
        .map(|(failure, count)| (failure.name(), *count))
        .collect();
    assert_eq!(failures, [("timeout", 2)]);
}
