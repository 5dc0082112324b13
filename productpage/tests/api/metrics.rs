//! `GET /metrics`: upstream's `request_result` counter.

use chassis::testing::StubReply;

use crate::helpers::{TestApp, spawn_app};

fn count_line(app: &str, code: u16, count: u32) -> String {
    format!(r#"request_result_total{{destination_app="{app}",response_code="{code}"}} {count}"#)
}

#[actix_web::test]
async fn metrics_returns_200_with_one_result_per_backend_after_a_page_view() {
    let app = spawn_app().await;
    app.product_page().await;

    let response = app.metrics().await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(
        response.header("content-type"),
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert!(
        response.body.contains("# TYPE request_result counter"),
        "{}",
        response.body
    );
    assert!(
        response.body.contains(&count_line("details", 200, 1)),
        "{}",
        response.body
    );
    assert!(
        response.body.contains(&count_line("reviews", 200, 1)),
        "{}",
        response.body
    );
    assert!(response.body.ends_with("# EOF\n"));
}

#[actix_web::test]
async fn metrics_counts_a_retried_reviews_call_once_with_its_last_status() {
    let app = TestApp::builder()
        .reviews(StubReply::json(503, "{}"))
        .spawn()
        .await;
    app.product_page().await;

    let body = app.metrics().await.body;

    assert_eq!(app.reviews.requests().len(), 2);
    assert!(body.contains(&count_line("reviews", 503, 1)), "{body}");
}

#[actix_web::test]
async fn metrics_counts_no_answer_as_500_and_flood_calls_too() {
    let app = TestApp::builder()
        .down("DETAILS")
        .env("FLOOD_FACTOR", "2")
        .spawn()
        .await;
    app.product_page().await;
    app.product_ratings("0").await;

    let body = app.metrics().await.body;

    assert!(body.contains(&count_line("details", 500, 1)), "{body}");
    assert!(body.contains(&count_line("reviews", 200, 3)), "{body}");
    assert!(body.contains(&count_line("ratings", 200, 1)), "{body}");
}

#[actix_web::test]
async fn metrics_adds_up_across_requests_served_by_any_worker() {
    let app = spawn_app().await;
    for _ in 0..6 {
        app.product_details("0").await;
    }

    let body = app.metrics().await.body;

    assert!(body.contains(&count_line("details", 200, 6)), "{body}");
}
