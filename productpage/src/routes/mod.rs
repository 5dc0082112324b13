//! Every route of productpage, grouped by what it serves, plus the answers for unknown paths and
//! wrong methods. Paths are matched exactly: a trailing slash is a different, unknown path.

mod api;
mod assets;
mod operations;
mod pages;
mod session;

use actix_web::{HttpResponse, Resource, web};
use chassis::routes::ALLOW_READ;
pub(crate) use chassis::routes::get_or_head;

use crate::error::Error;

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
    only(path, ALLOW_READ)
}

/// A resource whose other methods get our 405 with `allow` (and OPTIONS 204 with it).
fn only(path: &'static str, allow: &'static str) -> Resource {
    chassis::routes::resource(path, allow, |allow| Error::MethodNotAllowed { allow })
}

async fn not_found() -> Result<HttpResponse, Error> {
    Err(Error::NotFound)
}
