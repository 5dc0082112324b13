//! The VirtualService fields the istio.io tasks above do not exercise: retries, rewrite and
//! mirror; and every fixture, including those, accepted by Envoy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chassis::testing::StubReply;

use crate::fixtures::*;
use crate::helpers::*;

fn reviews_v1_with(extra: &str) -> String {
    format!(
        r#"
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {{host: reviews, subset: v1}}
{extra}"#
    )
}

fn failing_reviews_v1() -> TestMesh {
    spawn_mesh_replying(|service, version| {
        if (service, version) == ("reviews", "v1") {
            StubReply::json(503, r#"{"error":"unavailable"}"#)
        } else {
            StubReply::json(200, format!(r#"{{"version":"{version}"}}"#))
        }
    })
}

#[actix_web::test]
async fn retries_resend_a_matching_status_as_many_times_as_attempts_says() {
    let mesh = failing_reviews_v1();
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(&reviews_v1_with(
        "    retries:\n      attempts: 3\n      retryOn: \"503\"\n",
    ));

    let answer = mesh.call("reviews", "/reviews/0", &[]).await;

    assert_eq!(answer.status, 503);
    assert_eq!(
        mesh.received("reviews", "v1"),
        4,
        "the call and three retries"
    );
}

#[actix_web::test]
async fn istios_default_retries_leave_a_503_alone() {
    let mesh = failing_reviews_v1();
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(&reviews_v1_with(""));

    let answer = mesh.call("reviews", "/reviews/0", &[]).await;

    assert_eq!(answer.status, 503);
    assert_eq!(mesh.received("reviews", "v1"), 1);
}

#[actix_web::test]
async fn a_uri_rewrite_replaces_the_matched_prefix() {
    let mesh = spawn_mesh();
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(REVIEWS_RETRY_REWRITE_MIRROR);

    let answer = mesh.call("reviews", "/old/7", &[]).await;

    assert_eq!(answer.version(), "v1");
    let seen = mesh.backend("reviews", "v1").requests();
    assert_eq!(seen.last().unwrap().path, "/reviews/7");
}

#[actix_web::test]
async fn a_mirror_sends_a_copy_to_its_destination_and_ignores_the_reply() {
    let mesh = spawn_mesh();
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(&reviews_v1_with(
        "    mirror: {host: reviews, subset: v3}\n",
    ));

    let answer = mesh.call("reviews", "/reviews/3", &[]).await;

    assert_eq!(answer.version(), "v1");
    let mirrored = eventually(Duration::from_secs(5), || {
        mesh.received("reviews", "v3") == 1
    })
    .await;
    assert!(mirrored, "v3 got the copy");
    let copy = mesh.backend("reviews", "v3").requests().remove(0);
    assert_eq!(copy.path, "/reviews/3");
    assert!(
        copy.header("host").unwrap().contains("-shadow"),
        "{:?}",
        copy.header("host")
    );
}

#[actix_web::test]
async fn envoy_accepts_every_fixture() {
    let mesh = spawn_mesh();
    let all = [
        GATEWAY,
        DESTINATION_RULE_ALL,
        ALL_V1,
        REVIEWS_TEST_V2,
        REVIEWS_50_V3,
        REVIEWS_V3,
        RATINGS_TEST_DELAY,
        RATINGS_TEST_ABORT,
        RATINGS_DELAY_2S,
        REVIEWS_V2_TIMEOUT,
        REVIEWS_CIRCUIT_BREAKER,
        DETAILS_ABORT_555,
        REVIEWS_RETRY_REWRITE_MIRROR,
    ];

    for (index, yaml) in all.iter().enumerate() {
        if let Err(error) = mesh.mesh.apply(yaml) {
            panic!("fixture {index}: {error}");
        }
    }
}
