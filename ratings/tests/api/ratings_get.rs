//! `GET /ratings/{id}`: upstream's built-in ratings and its way of reading the id.

use actix_web::http::Method;

use crate::helpers::{BAD_ID, DEFAULT_RATINGS_0, spawn_app};

#[actix_web::test]
async fn ratings_returns_200_with_the_builtin_ratings_when_nothing_was_posted() {
    let app = spawn_app().await;

    let response = app.get_ratings("0").await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body, DEFAULT_RATINGS_0);
}

#[actix_web::test]
async fn ratings_returns_200_with_the_id_read_as_javascripts_parse_int() {
    let app = spawn_app().await;
    let cases = [
        ("12abc", "12", "trailing letters are ignored"),
        ("1.9", "1", "the fraction is dropped"),
        ("-1", "-1", "negative ids are ids"),
        ("0/7", "7", "the last segment counts"),
        ("0?x=1", "0", "the query belongs to the last segment"),
        (
            "3?next=/9",
            "9",
            "a slash in the query starts the last segment",
        ),
        ("0x1A", "26", "parseInt reads a hexadecimal prefix"),
        ("007", "7", "leading zeros are decimal"),
        (
            "9007199254740991",
            "9007199254740991",
            "the largest exact JavaScript integer",
        ),
    ];

    for (segment, id, why) in cases {
        let response = app.get_ratings(segment).await;

        assert_eq!(response.status.as_u16(), 200, "{segment}: {why}");
        assert_eq!(
            response.body,
            format!(r#"{{"id":{id},"ratings":{{"Reviewer1":5,"Reviewer2":4}}}}"#),
            "{segment}: {why}"
        );
    }
}

#[actix_web::test]
async fn ratings_returns_400_when_the_id_is_not_a_number() {
    let app = spawn_app().await;
    let cases = [
        ("", "no id at all"),
        ("abc", "letters"),
        ("0/", "a trailing slash leaves an empty last segment"),
        ("0/x", "the last segment is not a number"),
        ("%31", "percent-encoding is not decoded"),
        ("-", "a sign alone"),
        ("0x", "a hexadecimal prefix alone"),
        ("9007199254740992", "past the exact JavaScript integers"),
        (
            "123456789012345678901234567890",
            "far past any integer type",
        ),
    ];

    for (segment, why) in cases {
        let response = app.get_ratings(segment).await;

        assert_eq!(response.status.as_u16(), 400, "{segment:?}: {why}");
        assert_eq!(response.header("content-type"), "application/json", "{why}");
        assert_eq!(response.body, BAD_ID, "{segment:?}: {why}");
    }
}

#[actix_web::test]
async fn ratings_returns_200_without_a_body_when_asked_with_head() {
    let app = spawn_app().await;

    let response = app.request(Method::HEAD, "/ratings/0", None).await;

    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body, "");
}
