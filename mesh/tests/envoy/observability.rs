//! What a user watches: per-version request counts, Istio-named cluster stats, the access log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use crate::fixtures::*;
use crate::helpers::*;

#[actix_web::test]
async fn requests_by_version_counts_what_each_version_received() {
    let mesh = spawn_mesh();
    mesh.versions("reviews", 6, &[]).await;
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(REVIEWS_V3);
    mesh.versions("reviews", 10, &[]).await;

    let counts = mesh.mesh.requests_by_version("reviews").unwrap();

    let total: u64 = counts.values().sum();
    assert_eq!(total, 16, "{counts:?}");
    for version in ["v1", "v2", "v3"] {
        let received = mesh.received("reviews", version) as u64;
        assert_eq!(counts[version], received, "{version}: {counts:?}");
    }
    assert!(counts["v3"] >= 10, "{counts:?}");
}

#[actix_web::test]
async fn cluster_stats_carry_istios_cluster_names() {
    let mesh = spawn_mesh();
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(ALL_V1);
    mesh.versions("reviews", 4, &[]).await;

    let stats = mesh.mesh.stats(r"reviews.*upstream_rq_total$").unwrap();

    let v1 = stats
        .iter()
        .find(|stat| {
            stat.name
                == "cluster.outbound|9080|v1|reviews.default.svc.cluster.local.upstream_rq_total"
        })
        .unwrap_or_else(|| panic!("{stats:?}"));
    assert_eq!(v1.value, 4);
}

#[actix_web::test]
async fn the_access_log_records_each_request_in_istios_format() {
    let mesh = spawn_mesh();
    mesh.apply(DESTINATION_RULE_ALL);
    mesh.apply(REVIEWS_V3);
    mesh.call("reviews", "/reviews/7", &[("user-agent", "mesh-test")])
        .await;
    let log = mesh.mesh.access_log();

    let written = eventually(Duration::from_secs(10), || {
        std::fs::read_to_string(&log).is_ok_and(|text| text.contains("/reviews/7"))
    })
    .await;

    assert!(written, "no line for the request");
    let text = std::fs::read_to_string(&log).unwrap();
    let line = text
        .lines()
        .find(|line| line.contains("/reviews/7"))
        .unwrap();
    assert!(
        line.contains("\"GET /reviews/7 HTTP/1.1\" 200 - via_upstream"),
        "{line}"
    );
    assert!(line.contains("\"mesh-test\""), "{line}");
    assert!(
        line.contains(" outbound|9080|v3|reviews.default.svc.cluster.local "),
        "{line}"
    );
}
