//! Route building every service shares: routes by method (GET and HEAD, or a list), one rule
//! for a resource's other methods — OPTIONS answers 204 with `Allow`, anything else is the
//! service's own 405 — and the route pattern each resource carries for its requests' metrics.

use actix_web::guard::{Guard, GuardContext};
use actix_web::http::Method;
use actix_web::http::header::ALLOW;
use actix_web::{
    FromRequest, Handler, HttpRequest, HttpResponse, Resource, Responder, ResponseError, Route,
    Scope, web,
};

/// `Allow` of a read-only resource.
pub const ALLOW_READ: &str = "GET, HEAD, OPTIONS";

/// A resource's route pattern (`/details/{id}`), kept in the resource's app data: the request
/// metrics read their `route` label from it on the answered request. Without it they ask actix
/// (`HttpRequest::match_pattern`), which builds a `String` for every request.
///
/// For a resource of several patterns it is the first, as actix reports it. In debug builds
/// (the tests) every request checks it against actix's own answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePattern(Box<str>);

impl RoutePattern {
    /// The pattern of a resource made with `web::resource(pattern)`.
    pub fn new(pattern: &str) -> Self {
        Self(pattern.into())
    }

    /// The pattern, as the `route` label shows it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// GET and HEAD, what a read-only route answers.
pub const GET_OR_HEAD: &[Method] = &[Method::GET, Method::HEAD];

/// A route answering GET and HEAD (actix sends HEAD the GET's headers without the body).
pub fn get_or_head() -> Route {
    methods(GET_OR_HEAD)
}

/// A route answering the methods in `allowed`, for a resource that answers its other methods
/// itself ([`resource`]).
///
/// actix's own method guards (`guard::Get()`, `web::post()`) note every method they check in the
/// request's extensions, a `Vec` and a box per check, for the `Allow` of actix's default 405; a
/// resource with a 405 of its own never reads them, so this guard only compares.
pub fn methods(allowed: &'static [Method]) -> Route {
    web::route().guard(Methods(allowed))
}

/// The guard of [`methods`].
struct Methods(&'static [Method]);

impl Guard for Methods {
    fn check(&self, context: &GuardContext<'_>) -> bool {
        self.0.contains(&context.head().method)
    }
}

/// A resource at `path` whose methods outside its routes are answered here: OPTIONS with 204
/// and `Allow: allow`, anything else with `refuse(allow)`, the service's own 405 error (which
/// sets `Allow` and words the body as the service does). It carries its [`RoutePattern`].
pub fn resource<E>(path: &str, allow: &'static str, refuse: fn(&'static str) -> E) -> Resource
where
    E: ResponseError + 'static,
{
    web::resource(path)
        .app_data(RoutePattern::new(path))
        .default_service(web::to(move |request: HttpRequest| async move {
            other_method(&request, allow, refuse)
        }))
}

/// The answer to a method outside a resource's routes: OPTIONS 204 with `Allow: allow`,
/// anything else `refuse(allow)`.
pub fn other_method<E>(
    request: &HttpRequest,
    allow: &'static str,
    refuse: fn(&'static str) -> E,
) -> Result<HttpResponse, E> {
    if request.method() == Method::OPTIONS {
        Ok(HttpResponse::NoContent()
            .insert_header((ALLOW, allow))
            .finish())
    } else {
        Err(refuse(allow))
    }
}

/// `prefix` and every path below it on a segment boundary (`/details`, `/details/0/7`, not
/// `/detailsx`), all served by `serve` whatever their method; the metrics label them `label`.
///
/// actix matches a pattern with a dynamic part (`/details/{rest:.*}`) with a regex, captures
/// and all, on every request: a tenth of a leaf service's instructions. A scope's prefix is
/// compared as text. `serve` checks the method itself ([`other_method`]).
pub fn mount<F, Args>(prefix: &str, label: &str, serve: F) -> Scope
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::scope(prefix)
        .app_data(RoutePattern::new(label))
        .default_service(web::to(serve))
}
