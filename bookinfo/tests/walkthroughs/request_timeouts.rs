//! istio.io's "Request Timeouts": a 2 s delay on ratings, then a 0.5 s timeout on reviews.

use std::time::Duration;

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
    assert!(slow.took >= Duration::from_secs(2), "took {:?}", slow.took);

    mesh.apply(REVIEWS_TO_V2_WITHIN_HALF_A_SECOND);
    let cut_short = mesh.anonymous_page().await;
    assert_eq!(cut_short.status, 200, "{}", cut_short.body);
    assert!(
        cut_short.body.contains(REVIEWS_UNAVAILABLE),
        "{}",
        cut_short.body
    );
    // Envoy answers 504 after 0.5 s and productpage tries twice: about 1 s, far from the 2 s
    // the delay alone takes.
    assert!(
        cut_short.took >= Duration::from_millis(900),
        "took {:?}",
        cut_short.took
    );
    assert!(
        cut_short.took < Duration::from_secs(2),
        "took {:?}",
        cut_short.took
    );

    let api = mesh.get("/api/v1/products/0/reviews", None).await;
    assert_eq!(api.status, 504, "{}", api.body);
}
