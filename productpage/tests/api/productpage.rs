//! `GET /productpage`: the page for every reviews version, and for every way a backend fails.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chassis::testing::StubReply;

use crate::helpers::{
    DETAILS_JSON, FILLED_STAR, REVIEW_1, REVIEW_2, TestApp, in_turn, reviews_json, reviews_v1,
    reviews_with_stars, reviews_without_ratings, spawn_app,
};

const DETAILS_ERROR_TITLE: &str = "Error fetching product details";
const DETAILS_ERROR_TEXT: &str = "Sorry, product details are currently unavailable for this book.";
const REVIEWS_ERROR_TITLE: &str = "Error fetching product reviews";
const REVIEWS_ERROR_TEXT: &str = "Sorry, product reviews are currently unavailable for this book.";
const RATINGS_UNAVAILABLE: &str = "Ratings service is currently unavailable";

async fn page_with_reviews(body: String) -> String {
    let app = TestApp::builder()
        .reviews(StubReply::json(200, body))
        .spawn()
        .await;
    let response = app.product_page().await;
    assert_eq!(response.status.as_u16(), 200);
    response.body
}

#[actix_web::test]
async fn productpage_returns_200_with_the_title_the_book_and_the_details_table() {
    let app = spawn_app().await;

    let response = app.product_page().await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.header("content-type"), "text/html; charset=utf-8");
    let page = &response.body;
    assert_eq!(response.count("<title>Simple Bookstore App</title>"), 1);
    assert!(page.contains("BookInfo Sample"));
    assert!(page.contains(r#"id="product-title">The Comedy of Errors</h1>"#));
    assert!(
        page.contains("one of <b>William Shakespeare's</b> early plays"),
        "the description is rendered as HTML"
    );
    assert!(page.contains("Book Details"));
    for (label, value) in [
        ("ISBN-10", "1234567890"),
        ("Publisher", "PublisherA"),
        ("Pages", "200"),
        ("Type", "paperback"),
        ("Language", "English"),
    ] {
        assert!(
            page.contains(&format!("<th scope=\"row\">{label}</th><td>{value}</td>")),
            "{label}: {value}"
        );
    }
    assert!(!page.contains("Error fetching"));
}

#[actix_web::test]
async fn productpage_returns_200_with_reviews_and_no_stars_for_reviews_v1() {
    let page = page_with_reviews(reviews_v1()).await;

    assert!(page.contains("Book Reviews"));
    assert!(
        page.contains(&format!("\"{REVIEW_1}\"")),
        "review texts are quoted"
    );
    assert!(page.contains(&format!("\"{REVIEW_2}\"")));
    assert!(page.contains(">Reviewer1<") && page.contains(">Reviewer2<"));
    assert_eq!(page.matches(FILLED_STAR).count(), 0);
    assert_eq!(page.matches("star-empty").count(), 0);
}

#[actix_web::test]
async fn productpage_returns_200_with_nine_filled_black_stars_for_reviews_v2() {
    let page = page_with_reviews(reviews_with_stars("black")).await;

    assert_eq!(page.matches(FILLED_STAR).count(), 9, "5 + 4 filled stars");
    assert_eq!(page.matches("star star-empty").count(), 1, "one empty star");
    assert_eq!(page.matches("stars stars-black").count(), 2);
    assert!(page.contains("5 out of 5 stars") && page.contains("4 out of 5 stars"));
}

#[actix_web::test]
async fn productpage_returns_200_with_red_stars_for_reviews_v3() {
    let page = page_with_reviews(reviews_with_stars("red")).await;

    assert_eq!(page.matches(FILLED_STAR).count(), 9);
    assert_eq!(page.matches("stars stars-red text-red-500").count(), 2);
    assert!(!page.contains("stars-black"));
}

#[actix_web::test]
async fn productpage_returns_200_with_plain_stars_and_never_writes_an_unknown_colour() {
    let colour = r#"\"><script>alert(1)</script>"#;
    let page = page_with_reviews(reviews_with_stars(colour)).await;

    assert_eq!(page.matches(FILLED_STAR).count(), 9);
    assert_eq!(page.matches("stars stars-plain").count(), 2);
    assert!(!page.contains("<script>"));
}

#[actix_web::test]
async fn productpage_returns_200_with_ratings_unavailable_per_reviewer_when_reviews_lost_ratings() {
    let page = page_with_reviews(reviews_without_ratings()).await;

    assert_eq!(page.matches(RATINGS_UNAVAILABLE).count(), 2);
    assert_eq!(page.matches(FILLED_STAR).count(), 0);
    assert!(page.contains("Book Reviews"));
}

#[actix_web::test]
async fn productpage_returns_200_with_the_pod_name_and_a_cluster_only_when_it_is_not_null() {
    let page = page_with_reviews(reviews_v1()).await;
    assert!(page.contains("Reviews served by:"));
    assert!(page.contains("reviews-v1-stub"));
    assert!(!page.contains("on cluster"));

    let page = page_with_reviews(
        reviews_v1().replace(r#""clustername": "null""#, r#""clustername": "east-1""#),
    )
    .await;
    assert!(page.contains(r#"on cluster <span class="cluster-name">east-1</span>"#));
}

#[actix_web::test]
async fn productpage_returns_200_with_backend_text_escaped() {
    let hostile =
        reviews_json("<i>pod</i>", None).replace("Reviewer1", "<img src=x onerror=alert(1)>");
    let page = page_with_reviews(hostile).await;

    assert!(!page.contains("<img src=x"));
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(page.contains("&lt;i&gt;pod&lt;/i&gt;"));
}

#[actix_web::test]
async fn productpage_returns_200_with_the_details_error_when_details_answers_503() {
    let app = TestApp::builder()
        .details(StubReply::json(503, "{}"))
        .spawn()
        .await;

    let response = app.product_page().await;

    assert_eq!(response.status.as_u16(), 200);
    assert!(response.body.contains(DETAILS_ERROR_TITLE));
    assert!(response.body.contains(DETAILS_ERROR_TEXT));
    assert!(!response.body.contains("Book Details"));
    assert!(
        response.body.contains("Book Reviews"),
        "reviews still shown"
    );
    assert!(
        response.body.contains("William Shakespeare"),
        "the description is always there"
    );
}

#[actix_web::test]
async fn productpage_returns_200_with_the_reviews_error_after_two_calls_when_reviews_answers_503() {
    let app = TestApp::builder()
        .reviews(StubReply::json(503, "{}"))
        .spawn()
        .await;

    let response = app.product_page().await;

    assert_eq!(response.status.as_u16(), 200);
    assert!(response.body.contains(REVIEWS_ERROR_TITLE));
    assert!(response.body.contains(REVIEWS_ERROR_TEXT));
    assert!(
        !response.body.contains(&format!("{REVIEWS_ERROR_TITLE}!")),
        "no exclamation mark"
    );
    assert!(!response.body.contains("Book Reviews"));
    assert!(
        response.body.contains("Book Details"),
        "details still shown"
    );
    assert_eq!(app.reviews.requests().len(), 2);
}

#[actix_web::test]
async fn productpage_returns_200_with_both_errors_when_the_backends_are_down() {
    let app = TestApp::builder()
        .down("DETAILS")
        .down("REVIEWS")
        .spawn()
        .await;

    let response = app.product_page().await;

    assert_eq!(response.status.as_u16(), 200);
    for text in [
        DETAILS_ERROR_TITLE,
        DETAILS_ERROR_TEXT,
        REVIEWS_ERROR_TITLE,
        REVIEWS_ERROR_TEXT,
    ] {
        assert!(response.body.contains(text), "{text}");
    }
    assert!(response.body.contains("William Shakespeare"));
}

#[actix_web::test]
async fn productpage_returns_200_with_the_error_blocks_when_backends_answer_200_with_non_json() {
    let app = TestApp::builder()
        .details(StubReply::not_json())
        .reviews(StubReply::not_json())
        .spawn()
        .await;

    let response = app.product_page().await;

    assert_eq!(response.status.as_u16(), 200);
    assert!(response.body.contains(DETAILS_ERROR_TITLE));
    assert!(response.body.contains(REVIEWS_ERROR_TITLE));
}

#[actix_web::test]
async fn productpage_returns_200_with_the_reviews_error_after_two_3s_attempts_when_reviews_takes_4s()
 {
    let app = TestApp::builder()
        .reviews(StubReply::json(200, reviews_v1()).delayed(Duration::from_secs(4)))
        .spawn()
        .await;

    let started = Instant::now();
    let response = app.product_page().await;
    let took = started.elapsed();

    assert_eq!(response.status.as_u16(), 200);
    assert!(response.body.contains(REVIEWS_ERROR_TEXT));
    assert_eq!(app.reviews.requests().len(), 2, "two attempts, as upstream");
    assert!(
        took >= Duration::from_millis(5800),
        "gave up after {took:?}, before 2 × 3 s"
    );
    assert!(
        took < Duration::from_secs(9),
        "took {took:?}, well past 2 × 3 s"
    );
}

#[actix_web::test]
async fn productpage_returns_200_with_the_details_error_within_3s_when_details_is_slow() {
    let app = TestApp::builder()
        .details(StubReply::json(200, DETAILS_JSON).delayed(Duration::from_secs(10)))
        .spawn()
        .await;

    let started = Instant::now();
    let response = app.product_page().await;
    let took = started.elapsed();

    assert_eq!(response.status.as_u16(), 200);
    assert!(response.body.contains(DETAILS_ERROR_TEXT));
    assert!(response.body.contains("Book Reviews"));
    assert!(
        took >= Duration::from_millis(2900),
        "gave up after {took:?}, before 3 s"
    );
    assert!(
        took < Duration::from_millis(5500),
        "took {took:?}, well past 3 s"
    );
}

#[actix_web::test]
async fn productpage_calls_reviews_flood_factor_plus_one_times() {
    let app = TestApp::builder().env("FLOOD_FACTOR", "3").spawn().await;

    let response = app.product_page().await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(app.reviews.requests().len(), 4);
    assert_eq!(app.details.requests().len(), 1);
}

#[actix_web::test]
async fn productpage_calls_reviews_twice_per_flood_call_when_reviews_answers_503() {
    let app = TestApp::builder()
        .env("FLOOD_FACTOR", "3")
        .reviews(StubReply::json(503, "{}"))
        .spawn()
        .await;

    app.product_page().await;

    assert_eq!(app.reviews.requests().len(), 8);
}

#[actix_web::test]
async fn productpage_calls_details_then_reviews_one_after_another() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let (details_log, reviews_log) = (order.clone(), order.clone());
    let app = TestApp::builder()
        .details_with(move |_| {
            details_log.lock().unwrap().push("details");
            StubReply::json(200, DETAILS_JSON).delayed(Duration::from_millis(200))
        })
        .reviews_with(move |_| {
            reviews_log.lock().unwrap().push("reviews");
            StubReply::json(200, reviews_v1())
        })
        .spawn()
        .await;

    app.product_page().await;

    assert_eq!(*order.lock().unwrap(), ["details", "reviews"]);
    assert!(
        app.ratings.requests().is_empty(),
        "the page never calls ratings itself"
    );
}

#[actix_web::test]
async fn productpage_returns_200_for_product_0_whatever_the_query_string() {
    let app = spawn_app().await;

    for query in ["?u=normal", "?u=test", "?id=7"] {
        let response = app.get(&format!("/productpage{query}")).await;
        assert_eq!(response.status.as_u16(), 200, "{query}");
    }

    assert!(
        app.details
            .requests()
            .iter()
            .all(|r| r.path == "/details/0")
    );
    assert!(
        app.reviews
            .requests()
            .iter()
            .all(|r| r.path == "/reviews/0")
    );
}

#[actix_web::test]
async fn productpage_returns_200_with_only_local_assets_and_no_scripts() {
    let app = spawn_app().await;

    let page = app.product_page().await.body;

    assert!(!page.contains("<script"), "the page needs no JavaScript");
    assert!(page.contains(r#"<link rel="stylesheet" href="/static/css/bookinfo.css">"#));
    assert!(
        !page.contains(r#"src="http"#) && !page.contains(r#"<link rel="stylesheet" href="http"#)
    );
}

#[actix_web::test]
async fn productpage_returns_200_with_each_answer_of_reviews_as_it_changes() {
    // Pages made of answers seen before (v1 again) are sent as kept; every change shows at once.
    let unavailable = StubReply::json(503, r#"{"error":"unavailable"}"#);
    let app = TestApp::builder()
        .reviews_with(in_turn(vec![
            StubReply::json(200, reviews_v1()),
            StubReply::json(200, reviews_with_stars("red")),
            StubReply::json(200, reviews_v1()),
            // Both attempts of one page.
            unavailable.clone(),
            unavailable,
            StubReply::json(200, reviews_v1()),
        ]))
        .spawn()
        .await;

    let mut pages = Vec::new();
    for _ in 0..5 {
        let response = app.product_page().await;
        assert_eq!(response.status.as_u16(), 200);
        pages.push(response.body);
    }

    let red_stars = |page: &String| page.matches("stars stars-red text-red-500").count();
    assert_eq!(
        pages.iter().map(red_stars).collect::<Vec<_>>(),
        [0, 2, 0, 0, 0]
    );
    assert!(pages[3].contains(REVIEWS_ERROR_TEXT), "{}", pages[3]);
    for v1 in [0, 2, 4] {
        assert_eq!(pages[v1], pages[0], "page {v1}");
        assert!(!pages[v1].contains(REVIEWS_ERROR_TEXT));
    }
}
