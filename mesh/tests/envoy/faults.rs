//! Fault injection and request timeouts, as the fault-injection and request-timeouts tasks
//! use them.

use std::time::Duration;

use crate::fixtures::*;
use crate::helpers::*;

const JASON: [(&str, &str); 1] = [("end-user", "jason")];

#[actix_web::test]
async fn ratings_test_abort_answers_500_to_jason_only() {
    let mesh = spawn_mesh();
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(RATINGS_TEST_ABORT);

    let jason = mesh.call("ratings", "/ratings/0", &JASON).await;
    let anonymous = mesh.call("ratings", "/ratings/0", &[]).await;

    assert_eq!(jason.status, 500);
    assert_eq!(jason.body, "fault filter abort");
    assert_eq!(anonymous.status, 200);
    assert_eq!(
        mesh.received("ratings", "v1"),
        1,
        "the aborted call never reached ratings"
    );
}

#[actix_web::test]
async fn an_abort_without_match_fails_every_call_with_its_status() {
    let mesh = spawn_mesh();
    mesh.apply(DETAILS_ABORT_555);

    let answer = mesh.call("details", "/details/0", &[]).await;

    assert_eq!(answer.status, 555);
}

#[actix_web::test]
async fn ratings_test_delay_holds_jason_for_the_fixed_delay() {
    let mesh = spawn_mesh();
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(&RATINGS_TEST_DELAY.replace("fixedDelay: 7s", "fixedDelay: 1s"));

    let jason = mesh.call("ratings", "/ratings/0", &JASON).await;
    let anonymous = mesh.call("ratings", "/ratings/0", &[]).await;

    assert_eq!(jason.status, 200);
    assert!(
        jason.elapsed >= Duration::from_secs(1),
        "{:?}",
        jason.elapsed
    );
    assert_eq!(anonymous.status, 200);
}

#[actix_web::test]
async fn a_route_timeout_answers_504_long_before_a_slow_workload_would() {
    let slow = Duration::from_secs(3);
    let mesh = spawn_mesh_with(|service, version| {
        if (service, version) == ("reviews", "v2") {
            slow
        } else {
            Duration::ZERO
        }
    });
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(REVIEWS_V2_TIMEOUT);

    let answer = mesh.call("reviews", "/reviews/0", &[]).await;

    assert_eq!(answer.status, 504);
    assert_eq!(answer.body, "upstream request timeout");
    assert!(
        answer.elapsed >= Duration::from_millis(500),
        "{:?}",
        answer.elapsed
    );
    assert!(
        answer.elapsed < slow,
        "gave up before the workload answered: {:?}",
        answer.elapsed
    );
}

#[actix_web::test]
async fn a_delay_on_every_call_slows_every_call() {
    let mesh = spawn_mesh();
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(&RATINGS_DELAY_2S.replace("fixedDelay: 2s", "fixedDelay: 0.5s"));

    let answer = mesh.call("ratings", "/ratings/0", &[]).await;

    assert_eq!(answer.status, 200);
    assert!(
        answer.elapsed >= Duration::from_millis(500),
        "{:?}",
        answer.elapsed
    );
}
