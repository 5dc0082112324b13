//! istio.io's "Traffic Shifting": weighted routes between reviews versions, over 100 pages each.
//!
//! Envoy picks a weighted cluster at random per request, so a share over 100 pages is a binomial
//! count, not an exact one. Each range below allows about four standard deviations (or more) on
//! either side, which a correct mesh leaves less than once in several thousand runs, and each
//! still fails if the weights were ignored (round robin would give v2 a third of pages and v3
//! none, an even split half and half).

use std::ops::RangeInclusive;

use crate::helpers::{Stars, TestMesh, count, spawn_mesh_with_gateway};

const PAGES: usize = 100;

/// Loads `PAGES` anonymous pages and asserts how many show `stars` lies in `expected`.
async fn assert_share(mesh: &TestMesh, step: &str, stars: Stars, expected: RangeInclusive<usize>) {
    let seen = mesh.stars_over(PAGES, None).await;
    let share = count(&seen, stars);
    assert!(
        expected.contains(&share),
        "{step}: {stars:?} on {share} of {PAGES} pages, expected {expected:?}"
    );
}

#[actix_web::test]
async fn weighted_routes_shift_reviews_traffic_between_versions() {
    let mesh = spawn_mesh_with_gateway("traffic_shifting").await;
    mesh.apply_file("destination-rule-all.yaml");
    mesh.apply_file("virtual-service-all-v1.yaml");
    assert_share(&mesh, "all-v1", Stars::None, PAGES..=PAGES).await;

    // 50 % red: sd 5, so 30..=70 is ±4 sd (upstream's task checks ±10).
    mesh.apply_file("virtual-service-reviews-50-v3.yaml");
    assert_share(&mesh, "50-v3", Stars::Red, 30..=70).await;
    // 20 % black: sd 4, so 5..=38 is -3.75 sd / +4.5 sd; an even split (50) fails.
    mesh.apply_file("virtual-service-reviews-80-20.yaml");
    assert_share(&mesh, "80-20", Stars::Black, 5..=38).await;
    // 10 % black: sd 3; none at all has probability 0.9^100 ≈ 3e-5, and 26 is over 5 sd above;
    // round robin (33) or an even split fails.
    mesh.apply_file("virtual-service-reviews-90-10.yaml");
    assert_share(&mesh, "90-10", Stars::Black, 1..=26).await;

    mesh.apply_file("virtual-service-reviews-v3.yaml");
    assert_share(&mesh, "v3", Stars::Red, PAGES..=PAGES).await;
}
