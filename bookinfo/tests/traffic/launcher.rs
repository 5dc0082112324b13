//! Against the launcher: its round robin over reviews v1, v2 and v3, and signed-in users.

use bookinfo::traffic::{self, Pace};

use crate::helpers::plan;
use crate::local_bookinfo::start_bookinfo;

#[actix_web::test]
async fn the_launcher_serves_each_reviews_version_about_a_third_of_the_pages() {
    let bookinfo = start_bookinfo().await;
    let url = format!("http://{}", bookinfo.productpage);

    // One page at a time, as a person refreshing: productpage then opens a new connection per
    // call, so the launcher's per-connection round robin shows. Under concurrent load productpage
    // keeps connections while its calls overlap (issue 18), and the shares may drift.
    let summary = traffic::run(&plan(url, Pace::Concurrency(1), 60), std::future::pending()).await;

    let overall = &summary.overall;
    assert_eq!(overall.requests, 60);
    assert_eq!(overall.errors, 0, "{}", summary.to_text(""));
    assert_eq!(overall.status.get(&200), Some(&60));
    // The balancer takes the versions in turn per connection: 20 each, give or take where the
    // turn stood when the traffic began and the pages' own calls.
    for (version, pages) in [
        ("v1", overall.reviews.v1),
        ("v2", overall.reviews.v2),
        ("v3", overall.reviews.v3),
    ] {
        assert!(
            (15..=25).contains(&pages),
            "{version} on {pages} of 60 pages:\n{}",
            summary.to_text("")
        );
    }
    assert_eq!(overall.reviews.unavailable, 0);
    assert_eq!(overall.ratings_unavailable, 0);
}

#[actix_web::test]
async fn signed_in_users_load_their_share_of_pages_and_see_unavailable_ratings() {
    let bookinfo = start_bookinfo().await;
    let url = format!("http://{}", bookinfo.productpage);
    let mut users = plan(url.clone(), Pace::Rate(200), 40);
    users.users = vec!["jason".to_owned(), "alice".to_owned()];
    users.signed_in_per_mille = 500;

    let summary = traffic::run(&users, std::future::pending()).await;

    let pages_of = |user: &str| summary.by_user.get(user).map(|tally| tally.requests);
    assert_eq!(pages_of("anonymous"), Some(20));
    assert_eq!(pages_of("jason"), Some(10));
    assert_eq!(pages_of("alice"), Some(10));
    assert_eq!(summary.overall.errors, 0, "{}", summary.to_text(""));

    // With ratings stopped, v2 and v3 pages say so and v1 pages (no ratings) do not.
    bookinfo.stop("ratings-v1").await.expect("ratings stops");
    let summary = traffic::run(&plan(url, Pace::Concurrency(1), 30), std::future::pending()).await;
    let overall = &summary.overall;
    assert_eq!(overall.errors, 0, "{}", summary.to_text(""));
    assert_eq!(
        overall.ratings_unavailable,
        overall.reviews.v2 + overall.reviews.v3,
        "{}",
        summary.to_text("")
    );
    assert!(overall.ratings_unavailable >= 10, "{}", summary.to_text(""));
}
