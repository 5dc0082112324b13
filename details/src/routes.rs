//! details' routes. Like upstream's WEBrick mounts, `/health` and `/details` are prefixes on a
//! segment boundary (`/details/0/7` is served, `/detailsx` is not), and GET, HEAD, POST and PUT
//! all get the same answer; OPTIONS lists them, other methods get 405 and other paths 404.

use actix_web::http::Method;
use actix_web::http::header::ALLOW;
use actix_web::{HttpRequest, HttpResponse, web};
use chassis::routes::mount;
use serde::Serialize;

use crate::books::Books;
use crate::error::Error;
use crate::product_id::ProductId;

/// `Allow` of both routes: upstream serves POST and PUT like GET (harmless, both only read).
pub const ALLOWED_METHODS: &str = "GET, HEAD, OPTIONS, POST, PUT";

/// Registers every route; `run` calls it once per worker.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // Each prefix is also its metrics label.
    cfg.service(mount(
        "/health",
        "/health",
        |request: HttpRequest| async move {
            match other_method(&request) {
                Some(answer) => answer,
                None => Ok(health()),
            }
        },
    ))
    .service(mount(
        "/details",
        "/details",
        |request: HttpRequest, books: web::Data<Books>| async move {
            match other_method(&request) {
                Some(answer) => answer,
                None => details(request, books).await,
            }
        },
    ))
    .default_service(web::to(not_found));
}

/// What both routes serve, as [`ALLOWED_METHODS`] says besides OPTIONS.
const SERVED: &[Method] = &[Method::GET, Method::HEAD, Method::POST, Method::PUT];

/// The answer to a method neither route serves: OPTIONS lists them (a 200, as upstream's), other
/// methods get 405. `None` for GET, HEAD, POST and PUT (HEAD gets GET's headers, no body).
fn other_method(request: &HttpRequest) -> Option<Result<HttpResponse, Error>> {
    let method = request.method();
    if SERVED.contains(method) {
        None
    } else if method == Method::OPTIONS {
        Some(Ok(HttpResponse::Ok()
            .insert_header((ALLOW, ALLOWED_METHODS))
            .finish()))
    } else {
        Some(Err(Error::MethodNotAllowed {
            method: method.clone(),
            allow: ALLOWED_METHODS,
        }))
    }
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
}

fn health() -> HttpResponse {
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

async fn not_found() -> Result<HttpResponse, Error> {
    Err(Error::NotFound)
}
