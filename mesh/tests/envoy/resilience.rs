//! Circuit breaking: tight connection-pool limits under a concurrent burst.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use futures_util::future::join_all;

use crate::fixtures::*;
use crate::helpers::*;

const REVIEWS_TO_V1: &str = r#"
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
"#;

#[actix_web::test]
async fn tight_connection_pool_limits_give_some_503s_under_a_burst_and_no_hang() {
    let mesh = spawn_mesh_with(|_, _| Duration::from_millis(300));
    mesh.apply(REVIEWS_CIRCUIT_BREAKER);
    mesh.apply(REVIEWS_TO_V1);
    let started = Instant::now();

    let burst = (0..20).map(|_| mesh.call("reviews", "/reviews/0", &[]));
    let answers = join_all(burst).await;

    let elapsed = started.elapsed();
    let ok = answers.iter().filter(|answer| answer.status == 200).count();
    let overflowed = answers.iter().filter(|answer| answer.status == 503).count();
    assert_eq!(
        ok + overflowed,
        answers.len(),
        "only 200s and 503s: {answers:?}"
    );
    assert!(ok >= 1, "some requests get through: {answers:?}");
    assert!(overflowed >= 1, "some requests are refused: {answers:?}");
    assert!(
        elapsed < Duration::from_secs(10),
        "the burst took {elapsed:?}"
    );
    let overflow = mesh
        .mesh
        .stats(r"outbound\|9080\|v1\|reviews\.default\.svc\.cluster\.local\.upstream_rq_pending_overflow$")
        .unwrap();
    assert!(overflow.iter().any(|stat| stat.value > 0), "{overflow:?}");
    let log = mesh.mesh.access_log();
    let flagged = eventually(Duration::from_secs(10), || {
        std::fs::read_to_string(&log).is_ok_and(|text| text.contains("\" 503 UO "))
    })
    .await;
    assert!(flagged, "the access log marks overflows with UO");
}

#[actix_web::test]
async fn outlier_detection_ejects_a_failing_version_after_its_first_5xx() {
    let mesh = spawn_mesh_replying(|service, version| {
        let status = if (service, version) == ("reviews", "v1") {
            503
        } else {
            200
        };
        chassis::testing::StubReply::json(status, format!(r#"{{"version":"{version}"}}"#))
    });
    mesh.apply(
        r#"
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  trafficPolicy:
    outlierDetection:
      consecutive5xxErrors: 1
      interval: 1s
      baseEjectionTime: 3m
      maxEjectionPercent: 100
"#,
    );

    let seen = mesh.versions("reviews", 30, &[]).await;

    // Without ejection v1 would take about a third of the 30. The ejection reaches Envoy's
    // workers a moment after the failure, so allow a request or two to slip through first.
    let failures = mesh.received("reviews", "v1");
    assert!(
        failures <= 3,
        "v1 ejected after its first failure: {seen:?}"
    );
    assert_eq!(seen.get("503").copied().unwrap_or(0), failures, "{seen:?}");
}
