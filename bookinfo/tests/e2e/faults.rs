//! A backend that is down: the page still answers 200 with upstream's error texts.

use crate::helpers::{served_by, spawn_bookinfo};

#[actix_web::test]
async fn page_shows_the_details_error_and_still_the_reviews_when_details_is_down() {
    let app = spawn_bookinfo().await;
    app.bookinfo
        .stop("details-v1")
        .await
        .expect("details stops");

    let page = app.product_page().await;

    assert_eq!(page.status, 200);
    assert!(page.body.contains("Error fetching product details"));
    assert!(
        page.body
            .contains("Sorry, product details are currently unavailable for this book.")
    );
    assert!(page.body.contains("Book Reviews"));
    assert!(
        page.body.contains("William Shakespeare"),
        "description still shown"
    );
    let api = app.get("/api/v1/products/0").await;
    assert_eq!(api.status, 500, "no HTTP answer from details means 500");
}

#[actix_web::test]
async fn page_shows_the_ratings_error_for_each_reviewer_when_ratings_is_down() {
    let app = spawn_bookinfo().await;
    app.bookinfo
        .stop("ratings-v1")
        .await
        .expect("ratings stops");

    let mut checked = 0;
    for _ in 0..3 {
        let page = app.product_page().await;
        assert_eq!(page.status, 200);
        let errors = page
            .body
            .matches("Ratings service is currently unavailable")
            .count();
        match served_by(&page.body) {
            Some("reviews-v1-local") => assert_eq!(errors, 0, "v1 never calls ratings"),
            Some(_) => {
                assert_eq!(errors, 2, "one error per reviewer");
                checked += 1;
            }
            None => panic!("page without a reviews pod"),
        }
    }
    assert_eq!(checked, 2, "v2 and v3 were both seen");
}

#[actix_web::test]
async fn page_shows_the_reviews_error_when_every_reviews_version_is_down() {
    let app = spawn_bookinfo().await;
    for version in ["reviews-v1", "reviews-v2", "reviews-v3"] {
        app.bookinfo.stop(version).await.expect("reviews stops");
    }

    let page = app.product_page().await;

    assert_eq!(page.status, 200);
    assert!(page.body.contains("Error fetching product reviews"));
    assert!(
        page.body
            .contains("Sorry, product reviews are currently unavailable for this book.")
    );
    assert!(page.body.contains("Book Details"), "details still shown");
}
