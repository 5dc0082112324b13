//! istio.io's "Circuit Breaking": one connection and one pending request to productpage, then a
//! concurrent burst through the ingress.

use std::time::Duration;

use crate::helpers::spawn_mesh_with_gateway;

const PRODUCTPAGE_ONE_AT_A_TIME: &str = "
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: productpage
spec:
  host: productpage
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 1
      http:
        http1MaxPendingRequests: 1
        maxRequestsPerConnection: 1
";

const CONCURRENCY: usize = 20;
const ROUNDS: usize = 3;

#[actix_web::test]
async fn a_tight_connection_pool_answers_part_of_a_burst_with_503_and_none_hang() {
    let mesh = spawn_mesh_with_gateway("circuit_breaking").await;
    mesh.apply(PRODUCTPAGE_ONE_AT_A_TIME);

    let statuses = tokio::time::timeout(
        Duration::from_secs(60),
        mesh.burst("/productpage", CONCURRENCY, ROUNDS),
    )
    .await
    .expect("the whole burst completes within a minute");

    assert_eq!(statuses.len(), CONCURRENCY * ROUNDS);
    let ok = statuses.iter().filter(|status| **status == 200).count();
    let overflowed = statuses.iter().filter(|status| **status == 503).count();
    assert!(ok > 0, "no request got through: {statuses:?}");
    assert!(overflowed > 0, "the breaker never tripped: {statuses:?}");
    assert_eq!(ok + overflowed, statuses.len(), "{statuses:?}");

    // The 503s are Envoy's overflow, not productpage failing.
    let overflow: u64 = mesh
        .local
        .mesh()
        .stats(r"productpage\.default\.svc\.cluster\.local\.upstream_rq_pending_overflow$")
        .expect("stats")
        .iter()
        .map(|stat| stat.value)
        .sum();
    assert!(overflow > 0, "no pending overflow counted");
}
