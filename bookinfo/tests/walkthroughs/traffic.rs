//! `bookinfo traffic` through the mesh's ingress: the shares routing rules set and a fault's
//! unavailable ratings, read off the summary as the walkthroughs read them off pages.

use std::time::Duration;

use bookinfo::traffic::{self, Pace, Plan, Summary};

use crate::helpers::{TestMesh, spawn_mesh_with_gateway};

async fn traffic(mesh: &TestMesh, pages: u64, users: &[&str]) -> Summary {
    let plan = Plan {
        url: format!("http://{}", mesh.local.ingress),
        pace: Pace::Concurrency(4),
        duration: None,
        requests: Some(pages),
        users: users.iter().map(|user| (*user).to_owned()).collect(),
        signed_in_per_mille: if users.is_empty() { 0 } else { 500 },
        timeout: Duration::from_secs(30),
    };
    let summary = traffic::run(&plan, std::future::pending()).await;
    assert_eq!(summary.overall.requests, pages);
    assert_eq!(summary.overall.errors, 0, "{}", summary.to_text(&plan.url));
    summary
}

#[actix_web::test]
async fn traffic_reports_the_shares_routing_rules_set() {
    let mesh = spawn_mesh_with_gateway("traffic").await;
    mesh.apply_file("destination-rule-all.yaml");

    // Half to v3, half to v1: 30..=70 of 100 is ±4 standard deviations (see traffic_shifting).
    mesh.apply_file("virtual-service-reviews-50-v3.yaml");
    let reviews = traffic(&mesh, 100, &[]).await.overall.reviews;
    assert!((30..=70).contains(&reviews.v3), "{reviews:?}");
    assert_eq!(reviews.v1 + reviews.v3, 100, "{reviews:?}");

    // reviews-test-v2 over all-v1: jason alone on v2.
    mesh.apply_file("virtual-service-all-v1.yaml");
    mesh.apply_file("virtual-service-reviews-test-v2.yaml");
    let summary = traffic(&mesh, 40, &["jason"]).await;
    let jason = summary.by_user["jason"].reviews;
    let anonymous = summary.by_user["anonymous"].reviews;
    assert_eq!((jason.v2, jason.v1, jason.v3), (20, 0, 0), "{jason:?}");
    assert_eq!((anonymous.v1, anonymous.v2), (20, 0), "{anonymous:?}");

    // ratings-test-abort: ratings answers jason's calls with 500, so his pages say the ratings
    // are unavailable; the anonymous pages (v1, no ratings) do not.
    mesh.apply_file("virtual-service-ratings-test-abort.yaml");
    let summary = traffic(&mesh, 20, &["jason"]).await;
    assert_eq!(summary.by_user["jason"].ratings_unavailable, 10);
    assert_eq!(summary.by_user["jason"].reviews.v2, 10);
    assert_eq!(summary.by_user["anonymous"].ratings_unavailable, 0);
}
