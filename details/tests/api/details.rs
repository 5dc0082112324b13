use actix_web::http::StatusCode;

use crate::helpers::{BOOK_0, NOT_NUMERIC, spawn_app};

#[actix_web::test]
async fn details_returns_200_with_upstreams_exact_bytes_for_book_0() {
    let app = spawn_app().await;

    let response = app.details("0").await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body, BOOK_0);
}

#[actix_web::test]
async fn details_returns_200_with_the_id_read_as_rubys_integer_reads_it() {
    let app = spawn_app().await;
    // (path after /details/, id echoed in the JSON, why)
    let cases = [
        ("0", "0", "zero"),
        ("7", "7", "decimal"),
        ("0x1A", "26", "hex prefix"),
        ("0X1a", "26", "hex prefix, other case"),
        ("010", "8", "a leading zero means octal"),
        ("0o17", "15", "octal prefix"),
        ("0b101", "5", "binary prefix"),
        ("0d19", "19", "decimal prefix"),
        ("1_0", "10", "underscore between digits"),
        ("0x1_A", "26", "underscore between hex digits"),
        ("-5", "-5", "negative"),
        ("+7", "7", "explicit plus"),
        ("-0x10", "-16", "sign before the prefix"),
        ("%201", "1", "leading space, percent-encoded"),
        ("%091%0A", "1", "tab before, newline after"),
        ("9223372036854775807", "9223372036854775807", "i64::MAX"),
        ("-9223372036854775808", "-9223372036854775808", "i64::MIN"),
        ("18446744073709551615", "18446744073709551615", "u64::MAX"),
        (
            "99999999999999999999",
            "99999999999999999999",
            "beyond u64: kept digit for digit",
        ),
        (
            "0x10000000000000000",
            "18446744073709551616",
            "beyond u64 in hex",
        ),
        ("0/7", "7", "the last segment counts"),
        ("0/", "0", "a trailing empty segment is dropped"),
        ("0//", "0", "several trailing empty segments are dropped"),
        ("abc/5", "5", "earlier segments do not matter"),
        ("1%2F2", "2", "an encoded slash separates segments too"),
        ("0?x=1", "0", "the query is ignored"),
    ];
    for (id, expected, why) in cases {
        let response = app.details(id).await;

        assert_eq!(
            response.status,
            StatusCode::OK,
            "{id:?} ({why}): {}",
            response.body
        );
        let expected_body = BOOK_0.replacen(r#""id":0,"#, &format!(r#""id":{expected},"#), 1);
        assert_eq!(response.body, expected_body, "{id:?} ({why})");
    }
}

#[actix_web::test]
async fn details_returns_400_when_the_id_is_not_a_number() {
    let app = spawn_app().await;
    // (path, why)
    let cases = [
        ("/details", "no id at all"),
        ("/details/", "empty id"),
        ("/details//", "only empty segments"),
        ("/details/abc", "letters"),
        ("/details/1.5", "a fraction"),
        ("/details/1e3", "an exponent"),
        ("/details/0x", "a prefix without digits"),
        ("/details/0x_1", "an underscore right after the prefix"),
        ("/details/08", "8 is not an octal digit"),
        ("/details/0b2", "2 is not a binary digit"),
        ("/details/1__0", "two underscores"),
        ("/details/_1", "a leading underscore"),
        ("/details/1_", "a trailing underscore"),
        ("/details/--1", "two signs"),
        ("/details/-%201", "space between sign and digits"),
        ("/details/1%202", "space between digits"),
        ("/details/%20", "only space"),
        ("/details/1%00", "a NUL byte"),
        ("/details/%FF", "not UTF-8"),
        ("/details/5/abc", "the last segment is not a number"),
        ("/details/%D9%A1", "a non-ASCII digit"),
    ];
    for (path, why) in cases {
        let response = app.get(path).await;

        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{path:?} ({why})");
        assert_eq!(
            response.header("content-type"),
            "application/json",
            "{path:?}"
        );
        assert_eq!(response.body, NOT_NUMERIC, "{path:?} ({why})");
    }
}

#[actix_web::test]
async fn details_returns_400_when_the_id_is_longer_than_1024_characters() {
    let app = spawn_app().await;
    let longest = format!("0x{}", "f".repeat(1022));

    let accepted = app.details(&longest).await;
    let refused = app.details(&"9".repeat(1025)).await;

    assert_eq!(accepted.status, StatusCode::OK, "1024 characters are read");
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.error_message(),
        "product id is longer than 1024 characters"
    );
}
