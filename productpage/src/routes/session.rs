//! Signing in and out: `POST /login` and `GET /logout`, both answering with a redirect back to
//! the page the user came from on this site.

use actix_web::error::UrlencodedError;
use actix_web::http::Uri;
use actix_web::http::header::{CACHE_CONTROL, HOST, LOCATION, REFERER, SET_COOKIE, VARY};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{ALLOW_POST, get_or_head, only, read_only};
use crate::config::Config;
use crate::error::Error;
use crate::session::{MAX_USER_NAME_BYTES, sign_in_cookie, sign_out_cookie};

/// Where to go after signing in or out when the Referer does not name a page on this site.
const FALLBACK_TARGET: &str = "/productpage";

/// The sign-in form's size at which it is refused: 16 KiB or more. actix-web's own limit lets a
/// body of exactly its limit through, hence the one byte below.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        only("/login", ALLOW_POST)
            .app_data(web::FormConfig::default().limit(MAX_FORM_BYTES - 1))
            .route(web::post().to(login)),
    )
    .service(read_only("/logout").route(get_or_head().to(logout)));
}

/// The sign-in form's fields; `passwd` is accepted and never looked at, as upstream.
#[derive(Debug, Deserialize)]
struct SignIn {
    username: Option<String>,
}

/// Any non-empty user name signs in (no password check, as upstream); a missing or empty one
/// signs out. Like upstream's `request.values`, the query string is read before the form.
///
/// A form too large to read is refused (413) and a name no header could carry (400), both
/// leaving the session as it was: reading either as "no user" would sign the user out.
async fn login(
    request: HttpRequest,
    query: Option<web::Query<SignIn>>,
    form: Result<web::Form<SignIn>, actix_web::Error>,
    config: web::Data<Config>,
) -> Result<HttpResponse, Error> {
    let form = match form {
        Ok(form) => Some(form.into_inner()),
        Err(error) => match error.as_error::<UrlencodedError>() {
            Some(UrlencodedError::Overflow { .. }) => {
                return Err(Error::FormTooLarge {
                    limit: MAX_FORM_BYTES,
                });
            }
            // Not a form at all (no body, another content type): no user, as upstream reads it.
            _ => None,
        },
    };
    let user = query
        .and_then(|query| query.into_inner().username)
        .or_else(|| form.and_then(|form| form.username))
        .filter(|user| !user.is_empty());
    let cookie = match user {
        Some(user) if user.len() > MAX_USER_NAME_BYTES => {
            return Err(Error::UserNameTooLong(MAX_USER_NAME_BYTES));
        }
        // `end-user` carries the name to reviews; a header cannot hold these.
        Some(user) if user.chars().any(|c| c.is_ascii_control()) => {
            return Err(Error::UserNameControlCharacter);
        }
        Some(user) => sign_in_cookie(&user, &config.session_key).unwrap_or_else(sign_out_cookie),
        None => sign_out_cookie(),
    };
    Ok(redirect_back(&request, cookie))
}

async fn logout(request: HttpRequest) -> HttpResponse {
    redirect_back(&request, sign_out_cookie())
}

/// 302 to [`back_to`] with the session cookie set.
fn redirect_back(request: &HttpRequest, cookie: String) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((LOCATION, back_to(request)))
        .insert_header((SET_COOKIE, cookie))
        .insert_header((VARY, "Cookie"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish()
}

/// The path and query of the Referer when it is a page on this same host; otherwise (no Referer,
/// another site, anything odd) [`FALLBACK_TARGET`]. Never another site: upstream redirects to
/// whatever the Referer says, an open redirect.
fn back_to(request: &HttpRequest) -> String {
    let host = request
        .headers()
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(|authority| authority.as_str())
        });
    let referer = request
        .headers()
        .get(REFERER)
        .and_then(|referer| referer.to_str().ok());
    match (host, referer) {
        (Some(host), Some(referer)) => same_site_path(referer, host),
        _ => None,
    }
    .unwrap_or_else(|| FALLBACK_TARGET.to_owned())
}

fn same_site_path(referer: &str, host: &str) -> Option<String> {
    let referer: Uri = referer.parse().ok()?;
    let same_host = matches!(referer.scheme_str(), Some("http" | "https"))
        && referer
            .authority()
            .is_some_and(|authority| authority.as_str().eq_ignore_ascii_case(host));
    let target = referer
        .path_and_query()
        .map_or("/", |target| target.as_str());
    // `//other.example/` would be read by the browser as another host.
    let local_path = target.starts_with('/') && !target.starts_with("//") && !target.contains('\\');
    (same_host && local_path).then(|| target.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_host_referers_are_followed() {
        let host = "bookinfo.example:8080";
        let cases = [
            (
                "http://bookinfo.example:8080/productpage?u=test",
                Some("/productpage?u=test"),
            ),
            ("https://BOOKINFO.example:8080/", Some("/")),
            ("http://bookinfo.example:8080", Some("/")),
            ("http://bookinfo.example/productpage", None),
            ("http://evil.example/productpage", None),
            ("http://user@bookinfo.example:8080/x", None),
            ("http://bookinfo.example:8080//evil.example/x", None),
            ("javascript:alert(1)", None),
            ("/productpage", None),
            ("None", None),
        ];
        for (referer, expected) in cases {
            assert_eq!(
                same_site_path(referer, host).as_deref(),
                expected,
                "Referer {referer}"
            );
        }
    }
}
