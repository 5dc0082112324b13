//! `POST /ratings/{id}`: ratings kept in memory per product, and the bodies refused.

use crate::helpers::{
    BAD_ID, BAD_RATINGS, DEFAULT_RATINGS_0, spawn_app, spawn_app_with_config, spawn_app_with_env,
};

#[actix_web::test]
async fn ratings_post_returns_200_echoing_the_ratings_and_later_gets_see_them() {
    let app = spawn_app().await;
    let body = r#"{"Reviewer1":1,"Reviewer2":2}"#;

    let posted = app.post_ratings("5", body).await;
    let read = app.get_ratings("5").await;

    assert_eq!(posted.status.as_u16(), 200);
    assert_eq!(posted.header("content-type"), "application/json");
    assert_eq!(posted.body, format!(r#"{{"id":5,"ratings":{body}}}"#));
    assert_eq!(read.status.as_u16(), 200);
    assert_eq!(read.body, posted.body);
}

#[actix_web::test]
async fn ratings_post_returns_200_and_leaves_other_products_alone() {
    let app = spawn_app().await;

    app.post_ratings("5", r#"{"Reviewer1":1}"#).await;

    assert_eq!(app.get_ratings("0").await.body, DEFAULT_RATINGS_0);
}

#[actix_web::test]
async fn ratings_post_returns_200_and_a_second_post_replaces_the_first() {
    let app = spawn_app().await;

    app.post_ratings("1", r#"{"Reviewer1":1,"Reviewer2":1}"#)
        .await;
    let second = app.post_ratings("1", r#"{"Reviewer2":3}"#).await;

    assert_eq!(second.status.as_u16(), 200);
    assert_eq!(
        app.get_ratings("1").await.body,
        r#"{"id":1,"ratings":{"Reviewer2":3}}"#
    );
}

#[actix_web::test]
async fn ratings_post_returns_200_keyed_by_the_id_as_read() {
    let app = spawn_app().await;

    app.post_ratings("7abc?x=1", r#"{"Reviewer1":2}"#).await;

    assert_eq!(
        app.get_ratings("7").await.body,
        r#"{"id":7,"ratings":{"Reviewer1":2}}"#
    );
}

#[actix_web::test]
async fn ratings_post_returns_400_when_the_body_is_not_ratings() {
    let app = spawn_app().await;
    let too_large = format!(r#"{{"Reviewer1":1,"padding":{}}}"#, "1".repeat(5000));
    let cases: [(&str, &str); 9] = [
        ("", "an empty body"),
        ("not json", "not JSON"),
        (r#"{"Reviewer1":5"#, "truncated JSON"),
        ("[1,2]", "an array (upstream stores it)"),
        (r#""stars""#, "a string"),
        (r#"{"Reviewer1":"5"}"#, "string values"),
        (r#"{"Reviewer1":4.5}"#, "fractional values"),
        (r#"{"Reviewer1":{"stars":5}}"#, "nested values"),
        (&too_large, "a body over the 4 KiB limit"),
    ];

    for (body, why) in cases {
        let response = app.post_ratings("3", body).await;

        assert_eq!(response.status.as_u16(), 400, "{why}");
        assert_eq!(response.header("content-type"), "application/json", "{why}");
        assert_eq!(response.body, BAD_RATINGS, "{why}");
    }
    assert_eq!(
        app.get_ratings("3").await.body,
        r#"{"id":3,"ratings":{"Reviewer1":5,"Reviewer2":4}}"#,
        "nothing refused was stored"
    );
}

#[actix_web::test]
async fn ratings_post_returns_400_for_the_id_before_looking_at_the_body() {
    let app = spawn_app().await;

    let response = app.post_ratings("abc", "not json").await;

    assert_eq!(response.status.as_u16(), 400);
    assert_eq!(response.body, BAD_ID);
}

#[actix_web::test]
async fn ratings_post_returns_507_for_a_new_product_when_the_store_is_full() {
    let mut config =
        ratings::Config::load(&std::collections::HashMap::<&str, &str>::new()).unwrap();
    // Room for two of these bodies: 15 bytes of text (16 allocated) and 64 for the entry each.
    config.storage = ratings::config::Storage::InMemory { max_bytes: 160 };
    let app = spawn_app_with_config(config).await;
    app.post_ratings("1", r#"{"Reviewer1":1}"#).await;
    app.post_ratings("2", r#"{"Reviewer1":2}"#).await;

    let refused = app.post_ratings("3", r#"{"Reviewer1":3}"#).await;
    let update = app.post_ratings("2", r#"{"Reviewer1":4}"#).await;

    assert_eq!(refused.status.as_u16(), 507);
    assert_eq!(
        refused.body,
        r#"{"error":"ratings store is full: no ratings for new products"}"#
    );
    assert_eq!(
        update.status.as_u16(),
        200,
        "stored products can still change"
    );
    assert_eq!(
        app.get_ratings("3").await.body,
        r#"{"id":3,"ratings":{"Reviewer1":5,"Reviewer2":4}}"#
    );
}

#[actix_web::test]
async fn post_returns_408_when_the_body_stalls() {
    let app = spawn_app_with_env(&[("SERVER_REQUEST_TIMEOUT_MS", "200")]).await;

    let answer = chassis::testing::raw_exchange(
        app.address,
        b"POST /ratings/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"",
    )
    .await;

    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}
