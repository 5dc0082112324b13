//! The session cookie: any `Cookie` header is read without panicking and signs in nobody unless
//! we signed it; any user name we sign in is read back from its cookie as the same name.
#![no_main]

use std::sync::LazyLock;

use actix_web::http::header::{COOKIE, HeaderValue};
use actix_web::test::TestRequest;
use libfuzzer_sys::{arbitrary, fuzz_target};
use productpage::config::SessionKey;
use productpage::session::{MAX_USER_NAME_BYTES, Visitor, sign_in_cookie, signed_in_user};

static KEY: LazyLock<SessionKey> =
    LazyLock::new(|| SessionKey::from_secret(&[7; 64]).expect("a 64-byte secret"));

#[derive(Debug, arbitrary::Arbitrary)]
struct Input {
    cookie_header: Vec<u8>,
    user: String,
}

fuzz_target!(|input: Input| {
    if let Ok(value) = HeaderValue::from_bytes(&input.cookie_header) {
        let request = TestRequest::default()
            .insert_header((COOKIE, value))
            .to_http_request();
        let visitor = Visitor::of(&request, &KEY);
        assert_eq!(
            visitor.user.is_some(),
            visitor.forwarded.get("end-user").is_some()
        );
    }
    if input.user.is_empty() || input.user.len() > MAX_USER_NAME_BYTES {
        return;
    }
    let Some(set_cookie) = sign_in_cookie(&input.user, &KEY) else {
        return;
    };
    let pair = set_cookie.split(';').next().unwrap_or_default().to_owned();
    let request = TestRequest::default()
        .insert_header((COOKIE, pair))
        .to_http_request();
    assert_eq!(
        signed_in_user(&request, &KEY).as_deref(),
        Some(input.user.as_str())
    );
});
