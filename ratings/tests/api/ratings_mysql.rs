//! v2 on MySQL against a real MariaDB (see `mariadb.rs`): the seed, live changes, a database
//! that is down at start or restarts, a wrong password, an empty table and a missing one.

use std::time::Duration;

use crate::helpers::{TestApp, poll_until, spawn_app_with_env};
use crate::mariadb::{MariaDb, ROOT_PASSWORD};

const SEEDED: &str = r#"{"id":0,"ratings":{"Reviewer1":5,"Reviewer2":4}}"#;
const CANNOT_CONNECT: &str = r#"{"error":"could not connect to ratings database"}"#;
const CANNOT_SELECT: &str = r#"{"error":"could not perform select"}"#;
/// reviews gives up on ratings after 2.5 s (v3); every database answer must come before that.
const REVIEWS_RATINGS_TIMEOUT: Duration = Duration::from_millis(2500);
/// How long a recovering database may take to show up in ratings' answers.
const RECOVERS_WITHIN: Duration = Duration::from_secs(15);

async fn spawn_ratings_reading(db: &MariaDb, password: &str) -> TestApp {
    let env = db.ratings_env(password);
    let env: Vec<(&str, &str)> = env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    spawn_app_with_env(&env).await
}

#[actix_web::test]
async fn ratings_returns_200_with_the_seeded_ratings_from_mysql() {
    let db = MariaDb::start_seeded();
    let app = spawn_ratings_reading(&db, ROOT_PASSWORD).await;

    let response = app.get_ratings("0").await;

    assert_eq!(response.status.as_u16(), 200, "{}", response.body);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body, SEEDED);
    assert_eq!(
        app.get_ratings("7").await.body,
        r#"{"id":7,"ratings":{"Reviewer1":5,"Reviewer2":4}}"#,
        "every product reads the same rows; the id is echoed"
    );
}

#[actix_web::test]
async fn ratings_returns_200_with_a_changed_row_on_the_next_request() {
    let db = MariaDb::start_seeded();
    let app = spawn_ratings_reading(&db, ROOT_PASSWORD).await;
    assert_eq!(app.get_ratings("0").await.body, SEEDED);

    db.sql("UPDATE test.ratings SET Rating = 2 WHERE ReviewID = 1;");
    let response = app.get_ratings("0").await;

    assert_eq!(
        response.body,
        r#"{"id":0,"ratings":{"Reviewer1":2,"Reviewer2":4}}"#
    );
}

#[actix_web::test]
async fn ratings_returns_200_with_rows_in_review_id_order_whatever_the_insert_order() {
    let db = MariaDb::start_seeded();
    db.sql(
        "DELETE FROM test.ratings;
         INSERT INTO test.ratings (ReviewID, Rating) VALUES (9, 1), (3, 2), (5, 3);",
    );
    let app = spawn_ratings_reading(&db, ROOT_PASSWORD).await;

    let response = app.get_ratings("0").await;

    assert_eq!(
        response.body,
        r#"{"id":0,"ratings":{"Reviewer1":2,"Reviewer2":3}}"#
    );
}

#[actix_web::test]
async fn ratings_returns_200_with_zeros_when_the_table_is_empty_or_short() {
    let db = MariaDb::start_seeded();
    let app = spawn_ratings_reading(&db, ROOT_PASSWORD).await;
    let cases = [
        (
            "DELETE FROM test.ratings WHERE ReviewID = 2;",
            (5, 0),
            "one row",
        ),
        (
            "UPDATE test.ratings SET Rating = NULL;",
            (0, 0),
            "a NULL rating",
        ),
        ("DELETE FROM test.ratings;", (0, 0), "no rows"),
    ];

    for (change, (first, second), why) in cases {
        db.sql(change);

        let response = app.get_ratings("0").await;

        assert_eq!(response.status.as_u16(), 200, "{why}");
        assert_eq!(
            response.body,
            format!(r#"{{"id":0,"ratings":{{"Reviewer1":{first},"Reviewer2":{second}}}}}"#),
            "{why}"
        );
    }
}

#[actix_web::test]
async fn ratings_returns_500_could_not_perform_select_when_the_table_is_missing() {
    let db = MariaDb::start_seeded();
    let app = spawn_ratings_reading(&db, ROOT_PASSWORD).await;
    db.sql("DROP TABLE test.ratings;");

    let response = app.get_ratings("0").await;

    assert_eq!(response.status.as_u16(), 500);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body, CANNOT_SELECT);
}

#[actix_web::test]
async fn ratings_returns_500_could_not_connect_when_the_password_is_wrong() {
    let db = MariaDb::start_seeded();
    let wrong = "not-the-root-password";
    let app = spawn_ratings_reading(&db, wrong).await;

    let response = app.get_ratings("0").await;

    assert_eq!(response.status.as_u16(), 500);
    assert_eq!(response.body, CANNOT_CONNECT);
    assert!(
        response.elapsed < REVIEWS_RATINGS_TIMEOUT,
        "took {:?}",
        response.elapsed
    );
}

#[actix_web::test]
async fn wrong_password_errors_and_debug_output_never_show_the_password() {
    let db = MariaDb::start_seeded();
    let wrong = "not-the-root-password";
    let env = db.ratings_env(wrong);
    let env: std::collections::HashMap<&str, &str> =
        env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let config = ratings::Config::load(&env).unwrap();
    let ratings::config::Storage::MySql(settings) = &config.storage else {
        panic!("not MySQL: {config:?}")
    };
    let store = ratings::store::MySqlRatings::new(settings);

    let error = store.read().await.unwrap_err();

    assert!(
        matches!(error, ratings::Error::DatabaseUnreachable { .. }),
        "{error:?}"
    );
    assert!(format!("{error}").contains("Access denied"), "{error}");
    for shown in [
        format!("{error}"),
        format!("{error:?}"),
        format!("{config:?}"),
        format!("{store:?}"),
    ] {
        assert!(!shown.contains(wrong), "password shown in: {shown}");
        assert!(!shown.contains(ROOT_PASSWORD), "password shown in: {shown}");
    }
}

#[actix_web::test]
async fn ratings_returns_200_once_a_database_that_was_down_at_start_comes_up() {
    let mut db = MariaDb::prepare();
    let app = spawn_ratings_reading(&db, ROOT_PASSWORD).await;

    let while_down = app.get_ratings("0").await;
    let health = app.health().await;
    db.start();
    db.load_seed();
    let seen = poll_until(
        RECOVERS_WITHIN,
        || app.get_ratings("0"),
        |seen| seen.last().is_some_and(|response| response.status == 200),
    )
    .await;

    assert_eq!(while_down.status.as_u16(), 500);
    assert_eq!(while_down.body, CANNOT_CONNECT);
    assert!(
        while_down.elapsed < REVIEWS_RATINGS_TIMEOUT,
        "took {:?}",
        while_down.elapsed
    );
    assert_eq!(
        health.status.as_u16(),
        200,
        "health does not depend on the database"
    );
    let last = seen.last().unwrap();
    assert_eq!(
        last.status.as_u16(),
        200,
        "not recovered within {RECOVERS_WITHIN:?}: {last:?}"
    );
    assert_eq!(last.body, SEEDED);
}

#[actix_web::test]
async fn ratings_returns_500_while_the_database_restarts_and_200_after() {
    let mut db = MariaDb::start_seeded();
    let app = spawn_ratings_reading(&db, ROOT_PASSWORD).await;
    // Two reads, so the pool holds an open connection that the restart will break.
    assert_eq!(app.get_ratings("0").await.body, SEEDED);
    assert_eq!(app.get_ratings("0").await.body, SEEDED);

    db.stop();
    let while_down = app.get_ratings("0").await;
    db.start();
    let seen = poll_until(
        RECOVERS_WITHIN,
        || app.get_ratings("0"),
        |seen| seen.last().is_some_and(|response| response.status == 200),
    )
    .await;

    assert_eq!(while_down.status.as_u16(), 500);
    assert_eq!(while_down.body, CANNOT_CONNECT);
    assert!(
        while_down.elapsed < REVIEWS_RATINGS_TIMEOUT,
        "took {:?}",
        while_down.elapsed
    );
    let last = seen.last().unwrap();
    assert_eq!(
        last.status.as_u16(),
        200,
        "not recovered within {RECOVERS_WITHIN:?}: {last:?}"
    );
    assert_eq!(last.body, SEEDED, "the data survived the restart");
}

#[actix_web::test]
async fn ratings_post_returns_501_on_mysql_and_changes_nothing() {
    let db = MariaDb::start_seeded();
    let app = spawn_ratings_reading(&db, ROOT_PASSWORD).await;

    let response = app
        .post_ratings("0", r#"{"Reviewer1":1,"Reviewer2":1}"#)
        .await;

    assert_eq!(response.status.as_u16(), 501);
    assert_eq!(
        response.body,
        r#"{"error":"Post not implemented for database backed ratings"}"#
    );
    assert_eq!(app.get_ratings("0").await.body, SEEDED);
}

#[actix_web::test]
async fn ratings_returns_500_could_not_connect_in_time_when_mysql_accepts_but_never_answers() {
    // Connections complete in the kernel's backlog, but no greeting ever comes.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    let app = spawn_app_with_env(&[
        ("SERVICE_VERSION", "v2"),
        ("DB_TYPE", "mysql"),
        ("MYSQL_DB_HOST", "127.0.0.1"),
        ("MYSQL_DB_PORT", &port),
        ("MYSQL_DB_USER", "root"),
        ("MYSQL_DB_PASSWORD", ROOT_PASSWORD),
    ])
    .await;

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
