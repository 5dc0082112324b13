//! `/api/v1/products…`: the catalogue and the backends' JSON passed through in Python style.

use std::time::Duration;

use chassis::testing::StubReply;

use crate::helpers::{
    DETAILS_JSON, REVIEW_1, REVIEW_2, TestApp, in_turn, reviews_with_stars, spawn_app,
};

const PRODUCTS_BODY: &str = r#"[{"id": 0, "title": "The Comedy of Errors", "descriptionHtml": "<a href=\"https://en.wikipedia.org/wiki/The_Comedy_of_Errors\">Wikipedia Summary</a>: The Comedy of Errors is one of <b>William Shakespeare's</b> early plays. It is his shortest and one of his most farcical comedies, with a major part of the humour coming from slapstick and mistaken identity, in addition to puns and word play."}]"#;
const DETAILS_ERROR: &str =
    r#"{"error": "Sorry, product details are currently unavailable for this book."}"#;
const REVIEWS_ERROR: &str =
    r#"{"error": "Sorry, product reviews are currently unavailable for this book."}"#;
const RATINGS_ERROR: &str =
    r#"{"error": "Sorry, product ratings are currently unavailable for this book."}"#;

#[actix_web::test]
async fn products_returns_200_with_upstreams_395_byte_list() {
    let app = spawn_app().await;

    let response = app.products().await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body, PRODUCTS_BODY);
    assert_eq!(response.body.len(), 395);
}

#[actix_web::test]
async fn product_details_returns_200_with_details_json_in_python_style() {
    let app = spawn_app().await;

    let response = app.product_details("0").await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(
        response.body,
        r#"{"id": 0, "author": "William Shakespeare", "year": 1595, "type": "paperback", "pages": 200, "publisher": "PublisherA", "language": "English", "ISBN-10": "1234567890", "ISBN-13": "123-1234567890"}"#
    );
    assert_eq!(response.body.len(), 195);
    assert_eq!(app.details.requests()[0].path, "/details/0");
}

#[actix_web::test]
async fn product_ratings_returns_200_with_ratings_json_in_python_style() {
    let app = spawn_app().await;

    let response = app.product_ratings("0").await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(
        response.body,
        r#"{"id": 0, "ratings": {"Reviewer1": 5, "Reviewer2": 4}}"#
    );
    assert_eq!(app.ratings.requests()[0].path, "/ratings/0");
}

#[actix_web::test]
async fn product_reviews_returns_200_with_reviews_json_in_python_style() {
    let app = TestApp::builder()
        .reviews(StubReply::json(200, reviews_with_stars("black")))
        .spawn()
        .await;

    let response = app.product_reviews("0").await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(
        response.body,
        format!(
            r#"{{"id": "0", "podname": "reviews-black-stub", "clustername": "null", "reviews": [{{"reviewer": "Reviewer1", "text": "{REVIEW_1}", "rating": {{"stars": 5, "color": "black"}}}}, {{"reviewer": "Reviewer2", "text": "{REVIEW_2}", "rating": {{"stars": 4, "color": "black"}}}}]}}"#
        )
    );
    assert_eq!(app.reviews.requests()[0].path, "/reviews/0");
    assert_eq!(app.reviews.requests().len(), 1, "a 200 is not retried");
}

#[actix_web::test]
async fn product_api_returns_the_backends_error_status_with_upstreams_error_body() {
    for status in [503, 555, 504, 404] {
        let app = TestApp::builder()
            .details(StubReply::json(status, r#"{"error":"x"}"#))
            .reviews(StubReply::json(status, r#"{"error":"x"}"#))
            .ratings(StubReply::json(status, r#"{"error":"x"}"#))
            .spawn()
            .await;

        for (response, body) in [
            (app.product_details("0").await, DETAILS_ERROR),
            (app.product_reviews("0").await, REVIEWS_ERROR),
            (app.product_ratings("0").await, RATINGS_ERROR),
        ] {
            assert_eq!(response.status.as_u16(), status, "{body}");
            assert_eq!(response.header("content-type"), "application/json");
            assert_eq!(response.body, body);
        }
    }
}

#[actix_web::test]
async fn product_api_returns_500_when_the_backends_are_down() {
    let app = TestApp::builder()
        .down("DETAILS")
        .down("REVIEWS")
        .down("RATINGS")
        .spawn()
        .await;

    for (response, body) in [
        (app.product_details("0").await, DETAILS_ERROR),
        (app.product_reviews("0").await, REVIEWS_ERROR),
        (app.product_ratings("0").await, RATINGS_ERROR),
    ] {
        assert_eq!(response.status.as_u16(), 500, "{body}");
        assert_eq!(response.body, body);
    }
}

#[actix_web::test]
async fn product_reviews_returns_503_after_two_calls_when_reviews_answers_503() {
    let app = TestApp::builder()
        .reviews(StubReply::json(503, "no healthy upstream"))
        .spawn()
        .await;

    let response = app.product_reviews("0").await;

    assert_eq!(response.status.as_u16(), 503);
    assert_eq!(response.body, REVIEWS_ERROR);
    assert_eq!(
        app.reviews.requests().len(),
        2,
        "non-200 answers are retried once"
    );
}

#[actix_web::test]
async fn product_reviews_returns_the_second_attempts_status_when_both_fail() {
    let app = TestApp::builder()
        .reviews_with(in_turn(vec![
            StubReply::json(503, "{}"),
            StubReply::json(504, "{}"),
        ]))
        .spawn()
        .await;

    let response = app.product_reviews("0").await;

    assert_eq!(response.status.as_u16(), 504);
    assert_eq!(app.reviews.requests().len(), 2);
}

#[actix_web::test]
async fn product_reviews_returns_200_when_the_second_attempt_succeeds() {
    let app = TestApp::builder()
        .reviews_with(in_turn(vec![
            StubReply::json(503, "{}"),
            StubReply::json(200, r#"{"id":"0","reviews":[]}"#),
        ]))
        .spawn()
        .await;

    let response = app.product_reviews("0").await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.body, r#"{"id": "0", "reviews": []}"#);
    assert_eq!(app.reviews.requests().len(), 2);
}

#[actix_web::test]
async fn product_details_and_ratings_return_the_error_after_one_call() {
    let app = TestApp::builder()
        .details(StubReply::json(503, "{}"))
        .ratings(StubReply::json(503, "{}"))
        .spawn()
        .await;

    app.product_details("0").await;
    app.product_ratings("0").await;

    assert_eq!(app.details.requests().len(), 1, "details is tried once");
    assert_eq!(app.ratings.requests().len(), 1, "ratings is tried once");
}

#[actix_web::test]
async fn product_details_returns_500_within_the_timeout_when_details_is_slow() {
    let app = TestApp::builder()
        .details(StubReply::json(200, DETAILS_JSON).delayed(Duration::from_secs(10)))
        .spawn()
        .await;

    let started = std::time::Instant::now();
    let response = app.product_details("0").await;
    let took = started.elapsed();

    assert_eq!(response.status.as_u16(), 500);
    assert_eq!(response.body, DETAILS_ERROR);
    assert!(
        took >= Duration::from_millis(2900),
        "gave up after {took:?}, before the 3 s timeout"
    );
    assert!(
        took < Duration::from_secs(6),
        "took {took:?}, past the 3 s timeout"
    );
}

#[actix_web::test]
async fn product_api_returns_502_with_the_error_body_when_a_backend_answers_200_with_a_non_json_body()
 {
    let app = TestApp::builder()
        .details(StubReply::not_json())
        .reviews(StubReply::not_json())
        .ratings(StubReply::not_json())
        .spawn()
        .await;

    for (response, body) in [
        (app.product_details("0").await, DETAILS_ERROR),
        (app.product_reviews("0").await, REVIEWS_ERROR),
        (app.product_ratings("0").await, RATINGS_ERROR),
    ] {
        assert_eq!(response.status.as_u16(), 502, "{body}");
        assert_eq!(response.body, body);
    }
}

#[actix_web::test]
async fn product_api_returns_400_without_a_backend_call_when_the_id_could_change_the_url() {
    let app = spawn_app().await;
    let too_long = "9".repeat(33);
    let cases = [
        ("%2E%2E", "dot segment"),
        ("0%2F..%2Fhealth", "encoded slash"),
        ("0%3Fx=1", "encoded query"),
        ("0%23top", "encoded fragment"),
        ("1.5", "dot"),
        ("0%20", "space"),
        ("%E2%9C%93", "non-ASCII"),
        ("-", "sign alone"),
        (too_long.as_str(), "33 characters"),
    ];

    for (id, why) in cases {
        for path in [
            format!("/api/v1/products/{id}"),
            format!("/api/v1/products/{id}/reviews"),
            format!("/api/v1/products/{id}/ratings"),
        ] {
            let response = app.get(&path).await;

            assert_eq!(response.status.as_u16(), 400, "{why}: {path}");
            assert_eq!(
                response.header("content-type"),
                "application/json",
                "{why}: {path}"
            );
            assert_eq!(response.body, DETAILS_ERROR, "{why}: {path}");
        }
    }
    assert!(
        app.details.requests().is_empty(),
        "{:?}",
        app.details.requests()
    );
    assert!(
        app.reviews.requests().is_empty(),
        "{:?}",
        app.reviews.requests()
    );
    assert!(
        app.ratings.requests().is_empty(),
        "{:?}",
        app.ratings.requests()
    );
}

#[actix_web::test]
async fn product_details_returns_400_when_details_refuses_a_well_formed_id() {
    let app = TestApp::builder()
        .details(StubReply::json(
            400,
            r#"{"error":"please provide numeric product id"}"#,
        ))
        .spawn()
        .await;

    let response = app.product_details("abc").await;

    assert_eq!(response.status.as_u16(), 400);
    assert_eq!(response.body, DETAILS_ERROR);
    assert_eq!(app.details.requests()[0].path, "/details/abc");
}

#[actix_web::test]
async fn product_details_returns_200_for_signed_and_prefixed_ids_sent_percent_encoded() {
    let app = spawn_app().await;

    for id in ["-1", "+7", "0x1A", "1_000"] {
        let response = app.product_details(&id.replace('+', "%2B")).await;
        assert_eq!(response.status.as_u16(), 200, "{id}");
    }

    let paths: Vec<_> = app.details.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/details/-1",
            "/details/%2B7",
            "/details/0x1A",
            "/details/1_000"
        ]
    );
}
