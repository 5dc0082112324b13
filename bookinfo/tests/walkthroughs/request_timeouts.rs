//! istio.io's "Request Timeouts": a 2 s delay on ratings, then a 0.5 s timeout on reviews.

use crate::helpers::{Stars, spawn_mesh_with_gateway};

const REVIEWS_TO_V2: &str = "
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v2
";

/// Also the Gateway API tab's ratings step, less the subset (that tab has no DestinationRule).
pub const RATINGS_DELAYED_2S: &str = "
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
  - ratings
  http:
  - fault:
      delay:
        percentage:
          value: 100
        fixedDelay: 2s
    route:
    - destination:
        host: ratings
        subset: v1
";

const REVIEWS_TO_V2_WITHIN_HALF_A_SECOND: &str = "
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v2
    timeout: 0.5s
";

const REVIEWS_UNAVAILABLE: &str = "Sorry, product reviews are currently unavailable for this book.";
/// Envoy's counters: delays its fault filter injected, and requests to reviews it cut at the
/// route's timeout.
const DELAYS_INJECTED: &str = r"\.fault\.delays_injected$";
const REVIEWS_TIMED_OUT: &str = r"reviews\.default\.svc\.cluster\.local\.upstream_rq_timeout$";

#[actix_web::test]
async fn a_reviews_timeout_cuts_short_the_wait_for_delayed_ratings() {
    let mesh = spawn_mesh_with_gateway("request_timeouts").await;
    mesh.apply_file("destination-rule-all.yaml");
    mesh.apply_file("virtual-service-all-v1.yaml");
    mesh.apply(REVIEWS_TO_V2);
    mesh.apply(RATINGS_DELAYED_2S);

    let slow = mesh.anonymous_page().await;
    assert_eq!(slow.status, 200, "{}", slow.body);
    assert_eq!(slow.stars(), Stars::Black, "{}", slow.body);
    // The black stars came through the delay.
    assert!(mesh.counter(DELAYS_INJECTED) >= 1, "no delay injected");
    assert_eq!(mesh.counter(REVIEWS_TIMED_OUT), 0);

    mesh.apply(REVIEWS_TO_V2_WITHIN_HALF_A_SECOND);
    let cut_short = mesh.anonymous_page().await;
    assert_eq!(cut_short.status, 200, "{}", cut_short.body);
    assert!(
        cut_short.body.contains(REVIEWS_UNAVAILABLE),
        "{}",
        cut_short.body
    );
    // Envoy cut reviews at 0.5 s (a 504 to productpage), once for each of productpage's tries.
    assert_eq!(mesh.counter(REVIEWS_TIMED_OUT), 2);

    let api = mesh.get("/api/v1/products/0/reviews", None).await;
    assert_eq!(api.status, 504, "{}", api.body);
}
