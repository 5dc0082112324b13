//! The signed-in user: a stateless session cookie signed with the session key (so any worker or
//! replica sharing the key reads it and nobody can forge one), and the headers forwarded for that
//! user on every backend call.

use std::future::{Ready, ready};

use actix_web::cookie::time::OffsetDateTime;
use actix_web::cookie::{Cookie, CookieJar, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header::COOKIE;
use actix_web::{FromRequest, HttpRequest, web};
use chassis::propagation::{END_USER, ForwardedHeaders};

use crate::config::{Config, SessionKey};
use crate::error::Error;

/// The cookie's name, as upstream's (Flask's default).
pub const SESSION_COOKIE: &str = "session";

/// Longest user name kept in a session; browsers drop cookies past about 4 kB.
pub const MAX_USER_NAME_BYTES: usize = 256;

/// Whoever sent the request: the signed-in user, if any, and what to forward to backends for them.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// The user of a valid session; `None` when there is no cookie or it was not signed by us.
    pub user: Option<String>,
    /// The request's forwardable headers, with `end-user` set from the session only.
    pub forwarded: ForwardedHeaders,
}

impl Visitor {
    /// Reads the session of `request`, checked with `key`.
    pub fn of(request: &HttpRequest, key: &SessionKey) -> Visitor {
        let user = signed_in_user(request, key);
        let forwarded = outbound_headers(
            ForwardedHeaders::from_headers(request.headers()),
            user.as_deref(),
        );
        Visitor { user, forwarded }
    }
}

impl FromRequest for Visitor {
    type Error = Error;
    type Future = Ready<Result<Visitor, Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            request
                .app_data::<web::Data<Config>>()
                .map(|config| Visitor::of(request, &config.session_key))
                .ok_or(Error::Unconfigured("Config")),
        )
    }
}

/// The headers for backend calls: an incoming `end-user` is always dropped (otherwise any client
/// could route itself as jason) and the signed-in user, if any, is sent instead.
pub fn outbound_headers(incoming: ForwardedHeaders, user: Option<&str>) -> ForwardedHeaders {
    let forwarded = incoming.without(END_USER);
    match user {
        Some(user) => forwarded.with(END_USER, user),
        None => forwarded,
    }
}

/// The user of the request's session cookie, if it carries our signature and a non-empty name.
pub fn signed_in_user(request: &HttpRequest, key: &SessionKey) -> Option<String> {
    // Without a Cookie header there is nothing to parse (actix would still build and store an
    // empty cookie list for the request).
    if !request.headers().contains_key(COOKIE) {
        return None;
    }
    let cookie = request.cookie(SESSION_COOKIE)?;
    let mut jar = CookieJar::new();
    jar.add_original(cookie);
    let verified = jar.signed(&key.0).get(SESSION_COOKIE)?;
    let user = verified.value();
    (!user.is_empty()).then(|| user.to_owned())
}

/// The `Set-Cookie` value that signs `user` in: HttpOnly, `Path=/`, `SameSite=Lax`, no expiry
/// (gone when the browser closes, like upstream's).
pub fn sign_in_cookie(user: &str, key: &SessionKey) -> Option<String> {
    let mut jar = CookieJar::new();
    jar.signed_mut(&key.0).add(session_cookie(user.to_owned()));
    // Percent-encoded, because a user name may hold characters a cookie cannot carry raw;
    // actix-web decodes request cookies before the signature is checked.
    jar.get(SESSION_COOKIE)
        .map(|cookie| cookie.encoded().to_string())
}

/// The `Set-Cookie` value that signs out: empty, `Max-Age=0`, expired in 1970.
pub fn sign_out_cookie() -> String {
    let mut cookie = session_cookie(String::new());
    cookie.set_max_age(Some(actix_web::cookie::time::Duration::ZERO));
    cookie.set_expires(OffsetDateTime::UNIX_EPOCH);
    cookie.to_string()
}

fn session_cookie(value: String) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish()
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{COOKIE, HeaderValue};
    use actix_web::test::TestRequest;

    use super::*;

    fn key() -> SessionKey {
        SessionKey::from_secret(b"an example secret of 32+ bytes!!").unwrap()
    }

    fn request_with(set_cookie: &str) -> HttpRequest {
        let pair = set_cookie.split(';').next().unwrap();
        TestRequest::default()
            .insert_header((COOKIE, HeaderValue::from_str(pair).unwrap()))
            .to_http_request()
    }

    #[test]
    fn a_signed_cookie_names_its_user() {
        for user in ["jason", "<b>x\"&</b>", "name; with=odd, chars", "Zoë 🎭"] {
            let cookie = sign_in_cookie(user, &key()).unwrap();
            assert_eq!(
                signed_in_user(&request_with(&cookie), &key()).as_deref(),
                Some(user)
            );
        }
    }

    #[test]
    fn cookie_has_the_flags() {
        let cookie = sign_in_cookie("jason", &key()).unwrap();
        assert!(cookie.starts_with("session="), "{cookie}");
        for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(flag), "{flag} missing in {cookie}");
        }
    }

    #[test]
    fn a_tampered_or_foreign_cookie_is_ignored() {
        let cookie = sign_in_cookie("jason", &key()).unwrap();
        let tampered = cookie.replacen("jason", "admin", 1);
        assert_eq!(signed_in_user(&request_with(&tampered), &key()), None);
        let other_key = SessionKey::from_secret(&[7; 32]).unwrap();
        assert_eq!(signed_in_user(&request_with(&cookie), &other_key), None);
        assert_eq!(signed_in_user(&request_with("session=jason"), &key()), None);
    }

    #[test]
    fn sign_out_expires_the_cookie() {
        let cookie = sign_out_cookie();
        assert!(cookie.starts_with("session=;"), "{cookie}");
        assert!(cookie.contains("Max-Age=0"), "{cookie}");
        assert!(
            cookie.contains("Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
            "{cookie}"
        );
    }

    #[test]
    fn only_the_session_sets_end_user() {
        let incoming = ForwardedHeaders::default()
            .with(END_USER, "jason")
            .with("x-request-id", "r");
        let anonymous = outbound_headers(incoming.clone(), None);
        assert!(anonymous.get(END_USER).is_none());
        assert_eq!(anonymous.get("x-request-id").unwrap(), "r");
        let signed_in = outbound_headers(incoming, Some("alice"));
        assert_eq!(signed_in.get(END_USER).unwrap(), "alice");
    }
}
