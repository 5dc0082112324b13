//! v2 on MongoDB, as far as it goes without a MongoDB server (none can be installed here): the
//! answers when the server is unreachable or silent, POST, and health. Reading real documents is
//! covered by the unit tests of the document mapping in `store/mongo.rs`, not end to end.

use std::net::TcpListener;
use std::time::Duration;

use crate::helpers::{HEALTHY, closed_port, spawn_app_with_env};

const CANNOT_CONNECT: &str = r#"{"error":"could not connect to ratings database"}"#;
const REVIEWS_RATINGS_TIMEOUT: Duration = Duration::from_millis(2500);

#[actix_web::test]
async fn ratings_returns_500_could_not_connect_in_time_when_mongodb_is_down() {
    let url = format!("mongodb://ratings:s3cret@127.0.0.1:{}/test", closed_port());
    let app = spawn_app_with_env(&[("SERVICE_VERSION", "v2"), ("MONGO_DB_URL", &url)]).await;

    let response = app.get_ratings("0").await;

    assert_eq!(response.status.as_u16(), 500);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body, CANNOT_CONNECT);
    assert!(
        response.elapsed < REVIEWS_RATINGS_TIMEOUT,
        "took {:?}",
        response.elapsed
    );
}

#[actix_web::test]
async fn ratings_returns_500_could_not_connect_in_time_when_mongodb_accepts_but_never_answers() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("mongodb://{}/test", silent.local_addr().unwrap());
    let app = spawn_app_with_env(&[("SERVICE_VERSION", "v2"), ("MONGO_DB_URL", &url)]).await;

    let response = app.get_ratings("0").await;

    assert_eq!(response.status.as_u16(), 500);
    assert_eq!(response.body, CANNOT_CONNECT);
    assert!(
        response.elapsed < REVIEWS_RATINGS_TIMEOUT,
        "took {:?}",
        response.elapsed
    );
    drop(silent);
}

#[actix_web::test]
async fn ratings_returns_500_again_on_the_next_read_while_mongodb_stays_down() {
    let url = format!("mongodb://127.0.0.1:{}/test", closed_port());
    let app = spawn_app_with_env(&[
        ("SERVICE_VERSION", "v2"),
        ("DB_TYPE", "mongodb"),
        ("MONGO_DB_URL", &url),
    ])
    .await;

    let first = app.get_ratings("0").await;
    let second = app.get_ratings("1").await;

    assert_eq!((first.status.as_u16(), second.status.as_u16()), (500, 500));
    assert_eq!(second.body, CANNOT_CONNECT);
}

#[actix_web::test]
async fn mongodb_errors_and_debug_output_never_show_the_password() {
    let url = format!("mongodb://ratings:s3cret@127.0.0.1:{}/test", closed_port());
    let env = std::collections::HashMap::from([
        ("SERVICE_VERSION", "v2"),
        ("MONGO_DB_URL", url.as_str()),
    ]);
    let config = ratings::Config::load(&env).unwrap();
    let ratings::config::Storage::MongoDb(settings) = &config.storage else {
        panic!("not MongoDB: {config:?}")
    };
    let store = ratings::store::MongoRatings::new(settings);

    let error = store.read().await.unwrap_err();

    assert!(
        matches!(error, ratings::Error::DatabaseUnreachable { .. }),
        "{error:?}"
    );
    for shown in [
        format!("{error}"),
        format!("{error:?}"),
        format!("{config:?}"),
        format!("{store:?}"),
    ] {
        assert!(!shown.contains("s3cret"), "password shown in: {shown}");
    }
}

#[actix_web::test]
async fn health_returns_200_and_post_501_without_touching_mongodb() {
    let url = format!("mongodb://127.0.0.1:{}/test", closed_port());
    let app = spawn_app_with_env(&[("SERVICE_VERSION", "v2"), ("MONGO_DB_URL", &url)]).await;

    let health = app.health().await;
    let post = app.post_ratings("0", r#"{"Reviewer1":1}"#).await;
    let bad_post = app.post_ratings("0", "[1,2]").await;
    let bad_id = app.get_ratings("abc").await;

    assert_eq!(health.body, HEALTHY);
    assert_eq!(post.status.as_u16(), 501);
    assert_eq!(
        post.body,
        r#"{"error":"Post not implemented for database backed ratings"}"#
    );
    assert!(
        post.elapsed < Duration::from_secs(1),
        "POST waited for the database"
    );
    assert_eq!(
        bad_post.status.as_u16(),
        400,
        "the body is checked before the 501"
    );
    assert_eq!(
        bad_id.status.as_u16(),
        400,
        "the id is checked before the database"
    );
}
