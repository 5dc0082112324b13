//! details' routes. Like upstream's WEBrick mounts, `/health` and `/details` are prefixes on a
//! segment boundary (`/details/0/7` is served, `/detailsx` is not), and GET, HEAD, POST and PUT
//! all get the same answer; OPTIONS lists them, other methods get 405 and other paths 404.

use actix_web::http::Method;
use actix_web::http::header::ALLOW;
use actix_web::{HttpRequest, HttpResponse, Resource, Route, web};
use chassis::routes::RoutePattern;
use serde::Serialize;

use crate::books::Books;
use crate::error::Error;
use crate::product_id::ProductId;

/// `Allow` of both routes: upstream serves POST and PUT like GET (harmless, both only read).
pub const ALLOWED_METHODS: &str = "GET, HEAD, OPTIONS, POST, PUT";

/// Registers every route; `run` calls it once per worker.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(mount("/health").route(served().to(health)))
        .service(mount("/details").route(served().to(details)))
        .default_service(web::to(not_found));
}

/// `prefix` itself and every path below it; the metrics label both as `prefix`.
fn mount(prefix: &str) -> Resource {
    web::resource(vec![prefix.to_owned(), format!("{prefix}/{{rest:.*}}")])
        .app_data(RoutePattern::new(prefix))
        .default_service(web::to(other_method))
}

/// What both routes serve, as [`ALLOWED_METHODS`] says besides OPTIONS.
const SERVED: &[Method] = &[Method::GET, Method::HEAD, Method::POST, Method::PUT];

/// GET, HEAD, POST or PUT (HEAD gets GET's headers without the body).
fn served() -> Route {
    chassis::routes::methods(SERVED)
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "Details is healthy",
    })
}

/// The id comes from the raw path, not the route's match: upstream decodes the whole path and
/// then takes its last segment, so `/details/0/7` is book 7 and `/details/1%2F2` book 2.
async fn details(request: HttpRequest, books: web::Data<Books>) -> Result<HttpResponse, Error> {
    let id = ProductId::from_path(request.path())?;
    books.answer(id, request.headers()).await
}

async fn other_method(request: HttpRequest) -> Result<HttpResponse, Error> {
    if request.method() == Method::OPTIONS {
        Ok(HttpResponse::Ok()
            .insert_header((ALLOW, ALLOWED_METHODS))
            .finish())
    } else {
        Err(Error::MethodNotAllowed {
            method: request.method().clone(),
            allow: ALLOWED_METHODS,
        })
    }
}

async fn not_found() -> Result<HttpResponse, Error> {
    Err(Error::NotFound)
}
