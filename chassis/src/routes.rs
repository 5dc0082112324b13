//! Route building every service shares: GET-and-HEAD routes, and one rule for a resource's other
//! methods — OPTIONS answers 204 with `Allow`, anything else is the service's own 405.

use actix_web::http::Method;
use actix_web::http::header::ALLOW;
use actix_web::{HttpRequest, HttpResponse, Resource, ResponseError, Route, guard, web};

/// `Allow` of a read-only resource.
pub const ALLOW_READ: &str = "GET, HEAD, OPTIONS";

/// A route answering GET and HEAD (actix sends HEAD the GET's headers without the body).
pub fn get_or_head() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// A resource at `path` whose methods outside its routes are answered here: OPTIONS with 204
/// and `Allow: allow`, anything else with `refuse(allow)`, the service's own 405 error (which
/// sets `Allow` and words the body as the service does).
pub fn resource<E>(path: &str, allow: &'static str, refuse: fn(&'static str) -> E) -> Resource
where
    E: ResponseError + 'static,
{
    web::resource(path).default_service(web::to(move |request: HttpRequest| async move {
        if request.method() == Method::OPTIONS {
            Ok(HttpResponse::NoContent()
                .insert_header((ALLOW, allow))
                .finish())
        } else {
            Err(refuse(allow))
        }
    }))
}
