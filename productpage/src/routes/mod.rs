//! Every route of productpage, grouped by what it serves, plus the answers for unknown paths and
//! wrong methods. Paths are matched exactly: a trailing slash is a different, unknown path.

mod api;
mod assets;
mod operations;
mod pages;
mod session;

use actix_web::http::Method;
use actix_web::http::header::ALLOW;
use actix_web::{HttpRequest, HttpResponse, Resource, Route, guard, web};

use crate::error::Error;

/// `Allow` of the read-only routes.
const ALLOW_GET: &str = "GET, HEAD, OPTIONS";
/// `Allow` of `/login`.
const ALLOW_POST: &str = "POST, OPTIONS";

/// Registers every route; `run` calls it once per worker.
pub fn configure(cfg: &mut web::ServiceConfig) {
    pages::configure(cfg);
    session::configure(cfg);
    api::configure(cfg);
    operations::configure(cfg);
    assets::configure(cfg);
    cfg.default_service(web::to(not_found));
}

/// A resource answering only GET and HEAD (HEAD gets GET's headers without the body).
fn read_only(path: &'static str) -> Resource {
    only(path, ALLOW_GET)
}

/// A resource whose other methods get 405 with `allow` (and OPTIONS gets 204 with it).
fn only(path: &'static str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move |request: HttpRequest| {
        other_method(request, allow)
    }))
}

/// GET or HEAD.
fn get_or_head() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

async fn other_method(request: HttpRequest, allow: &'static str) -> Result<HttpResponse, Error> {
    if request.method() == Method::OPTIONS {
        Ok(HttpResponse::NoContent()
            .insert_header((ALLOW, allow))
            .finish())
    } else {
        Err(Error::MethodNotAllowed { allow })
    }
}

async fn not_found() -> Result<HttpResponse, Error> {
    Err(Error::NotFound)
}
