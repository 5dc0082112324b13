//! How long reviews waits for ratings: 2.5 s unless the stars are black, 10 s when they are (the
//! 10 s itself is checked on `Config`, so no test waits that long).

use std::time::{Duration, Instant};

use chassis::testing::StubReply;

use crate::helpers::{RATING_ERROR, RATINGS_JSON, TestApp, reviews_json, stars};

/// Longer than the 2.5 s timeout, shorter than the 10 s one.
const RATINGS_DELAY: Duration = Duration::from_secs(3);

#[actix_web::test]
async fn reviews_returns_the_ratings_error_after_2_5_seconds_when_red_ratings_are_slow() {
    let app = TestApp::builder()
        .version("v3")
        .env("HOSTNAME", "p")
        .ratings(StubReply::json(200, RATINGS_JSON).delayed(RATINGS_DELAY))
        .spawn()
        .await;

    let started = Instant::now();
    let response = app.reviews("0").await;
    let elapsed = started.elapsed();

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(
        response.body,
        reviews_json("0", "p", "null", Some([RATING_ERROR, RATING_ERROR]))
    );
    assert!(
        elapsed >= Duration::from_millis(2400),
        "gave up after {elapsed:?}, before the 2.5 s timeout"
    );
    assert!(
        elapsed < Duration::from_millis(2950),
        "took {elapsed:?}: the 2.5 s timeout did not fire before ratings' 3 s answer"
    );
}

#[actix_web::test]
async fn reviews_returns_stars_when_black_ratings_take_longer_than_2_5_seconds() {
    let app = TestApp::builder()
        .version("v2")
        .env("HOSTNAME", "p")
        .ratings(StubReply::json(200, RATINGS_JSON).delayed(RATINGS_DELAY))
        .spawn()
        .await;

    let started = Instant::now();
    let response = app.reviews("0").await;

    assert!(started.elapsed() >= RATINGS_DELAY, "ratings answered late");
    assert_eq!(
        response.body,
        reviews_json(
            "0",
            "p",
            "null",
            Some([&stars(5, "black"), &stars(4, "black")])
        )
    );
}
