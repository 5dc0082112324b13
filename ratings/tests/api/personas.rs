//! The misbehaving versions picked by `SERVICE_VERSION`, with their share, delay and period
//! shrunk through our `RATINGS_*` variables so the tests are quick and certain.

use std::time::Duration;

use crate::helpers::{
    DEFAULT_RATINGS_0, HEALTHY, NOT_HEALTHY, UNAVAILABLE, poll_until, spawn_app_with_env,
};

/// Long enough that the first request surely lands in the first period even on a busy machine.
const PERIOD_MS: &str = "1500";
/// Both states show within a few periods; this bound only stops a broken persona's test.
const WITHIN: Duration = Duration::from_secs(15);

#[actix_web::test]
async fn ratings_returns_503_when_faulty_and_every_read_is_picked() {
    let app = spawn_app_with_env(&[
        ("SERVICE_VERSION", "v-faulty"),
        ("RATINGS_FAULT_SHARE", "1.0"),
    ])
    .await;

    for _ in 0..20 {
        let response = app.get_ratings("0").await;

        assert_eq!(response.status.as_u16(), 503);
        assert_eq!(response.header("content-type"), "application/json");
        assert_eq!(response.body, UNAVAILABLE);
    }
    assert_eq!(app.health().await.body, HEALTHY, "faulty stays healthy");
    assert_eq!(
        app.post_ratings("0", r#"{"Reviewer1":1}"#)
            .await
            .status
            .as_u16(),
        200,
        "writes are not affected"
    );
}

#[actix_web::test]
async fn ratings_returns_200_when_faulty_and_no_read_is_picked() {
    let app = spawn_app_with_env(&[
        ("SERVICE_VERSION", "v-faulty"),
        ("RATINGS_FAULT_SHARE", "0"),
    ])
    .await;

    for _ in 0..20 {
        let response = app.get_ratings("0").await;

        assert_eq!(response.status.as_u16(), 200);
        assert_eq!(response.body, DEFAULT_RATINGS_0);
    }
}

#[actix_web::test]
async fn ratings_returns_400_before_any_fault_when_the_id_is_bad() {
    let app = spawn_app_with_env(&[
        ("SERVICE_VERSION", "v-faulty"),
        ("RATINGS_FAULT_SHARE", "1"),
    ])
    .await;

    assert_eq!(app.get_ratings("abc").await.status.as_u16(), 400);
}

#[actix_web::test]
async fn ratings_returns_200_after_the_delay_when_delayed_and_the_read_is_picked() {
    let delay = Duration::from_millis(300);
    let app = spawn_app_with_env(&[
        ("SERVICE_VERSION", "v-delayed"),
        ("RATINGS_FAULT_SHARE", "1"),
        ("RATINGS_DELAY_MS", "300"),
    ])
    .await;

    let response = app.get_ratings("0").await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.body, DEFAULT_RATINGS_0);
    assert!(
        response.elapsed >= delay,
        "answered after {:?}, before the {delay:?} delay",
        response.elapsed
    );
}

#[actix_web::test]
async fn ratings_returns_200_at_once_when_delayed_and_no_read_is_picked() {
    let app = spawn_app_with_env(&[
        ("SERVICE_VERSION", "v-delayed"),
        ("RATINGS_FAULT_SHARE", "0"),
        ("RATINGS_DELAY_MS", "10000"),
    ])
    .await;

    let response = app.get_ratings("0").await;

    assert_eq!(response.status.as_u16(), 200);
    assert!(
        response.elapsed < Duration::from_secs(10),
        "took {:?}: the read was delayed",
        response.elapsed
    );
}

#[actix_web::test]
async fn ratings_returns_503_in_every_second_period_when_unavailable() {
    let app = spawn_app_with_env(&[
        ("SERVICE_VERSION", "v-unavailable"),
        ("RATINGS_FLIP_PERIOD_MS", PERIOD_MS),
    ])
    .await;

    let seen = poll_until(
        WITHIN,
        || async {
            let read = app.get_ratings("0").await;
            let health = app.health().await;
            (read.status.as_u16(), read.body, health.status.as_u16())
        },
        |seen| {
            seen.iter().any(|(status, ..)| *status == 200)
                && seen.iter().any(|(status, ..)| *status == 503)
        },
    )
    .await;

    assert_eq!(seen[0].0, 200, "starts available");
    assert!(
        seen.iter().any(|(status, ..)| *status == 503),
        "never unavailable within {WITHIN:?}"
    );
    for (status, body, health) in &seen {
        match status {
            200 => assert_eq!(body, DEFAULT_RATINGS_0),
            503 => assert_eq!(body, UNAVAILABLE),
            other => panic!("unexpected status {other}"),
        }
        assert_eq!(*health, 200, "v-unavailable keeps /health at 200");
    }
}

#[actix_web::test]
async fn health_returns_500_and_ratings_503_in_every_second_period_when_unhealthy() {
    let app = spawn_app_with_env(&[
        ("SERVICE_VERSION", "v-unhealthy"),
        ("RATINGS_FLIP_PERIOD_MS", PERIOD_MS),
    ])
    .await;

    let seen = poll_until(
        WITHIN,
        || async {
            let health = app.health().await;
            let read = app.get_ratings("0").await;
            (
                health.status.as_u16(),
                health.body,
                read.status.as_u16(),
                read.body,
            )
        },
        |seen| {
            seen.iter()
                .any(|(health, _, read, _)| (*health, *read) == (200, 200))
                && seen
                    .iter()
                    .any(|(health, _, read, _)| (*health, *read) == (500, 503))
        },
    )
    .await;

    assert_eq!((seen[0].0, seen[0].2), (200, 200), "starts healthy");
    assert!(
        seen.iter()
            .any(|(health, _, read, _)| (*health, *read) == (500, 503)),
        "never unhealthy within {WITHIN:?}"
    );
    for (health, health_body, read, read_body) in &seen {
        match health {
            200 => assert_eq!(health_body, HEALTHY),
            500 => assert_eq!(health_body, NOT_HEALTHY),
            other => panic!("unexpected health status {other}"),
        }
        match read {
            200 => assert_eq!(read_body, DEFAULT_RATINGS_0),
            503 => assert_eq!(read_body, UNAVAILABLE),
            other => panic!("unexpected ratings status {other}"),
        }
    }
}
