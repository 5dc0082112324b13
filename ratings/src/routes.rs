//! ratings' HTTP routes: `/health`, `GET`/`POST /ratings/{id}`, and the answers for other
//! methods (405 with `Allow`) and unknown paths (404). Paths are matched as upstream matches
//! them: `/ratings/` followed by anything, `/health` exactly.

use std::time::Instant;

use actix_web::http::Method;
use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, Resource, web};
use chassis::routes::{ALLOW_READ, get_or_head};

use crate::error::Error;
use crate::persona::Persona;
use crate::product_id::ProductId;
use crate::ratings::{Ratings, RatingsJson, answer_json};
use crate::store::RatingsStore;

/// `Allow` of `/health`.
const ALLOW_HEALTH: &str = ALLOW_READ;
/// `Allow` of `/ratings/{id}`.
const ALLOW_RATINGS: &str = "GET, HEAD, POST, OPTIONS";

/// What every worker shares: one store, so a POST is seen by every later GET.
#[derive(Debug)]
pub struct AppState {
    pub persona: Persona,
    pub store: RatingsStore,
    /// When the server started: the time-based personas flip relative to it.
    pub started: Instant,
    pub max_body_bytes: usize,
}

/// The metrics label of `/ratings/` and every path below it.
const RATINGS_ROUTE: &str = "/ratings/{rest:.*}";

/// Registers every route; `run` calls it once per worker.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(only("/health", ALLOW_HEALTH).route(get_or_head().to(health)))
        .service(chassis::routes::mount("/ratings", RATINGS_ROUTE, ratings))
        .default_service(web::to(not_found));
}

/// `/ratings/` followed by anything (`/ratings` alone is unknown), by method.
async fn ratings(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Error> {
    if !request.path().starts_with("/ratings/") {
        return Err(Error::NotFound);
    }
    match *request.method() {
        Method::GET | Method::HEAD => get_ratings(request, state).await,
        Method::POST => post_ratings(request, body, state).await,
        _ => chassis::routes::other_method(&request, ALLOW_RATINGS, refuse),
    }
}

async fn health(state: web::Data<AppState>) -> HttpResponse {
    if state.persona.is_healthy(state.started.elapsed()) {
        HttpResponse::Ok().json(serde_json::json!({ "status": "Ratings is healthy" }))
    } else {
        HttpResponse::InternalServerError()
            .json(serde_json::json!({ "status": "Ratings is not healthy" }))
    }
}

async fn get_ratings(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Error> {
    let id = product_id(&request)?;
    state.persona.before_read(state.started.elapsed()).await?;
    let ratings = state.store.get(id).await?;
    Ok(json_answer(answer_json(id, &ratings)))
}

async fn post_ratings(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Error> {
    let id = product_id(&request)?;
    let limit = state.max_body_bytes;
    let body = body
        .to_bytes_limited(limit)
        .await
        .map_err(|_| Error::BodyTooLarge { limit })?
        .map_err(|error| Error::BodyUnreadable(error.to_string()))?;
    let ratings = Ratings::from_json(&body)?;
    let text = RatingsJson::of(&ratings);
    state.store.put(id, ratings).await?;
    Ok(json_answer(answer_json(id, &text)))
}

fn json_answer(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body)
}

/// The id upstream reads from the raw request target (path and query, undecoded).
fn product_id(request: &HttpRequest) -> Result<ProductId, Error> {
    let target = request
        .uri()
        .path_and_query()
        .map_or_else(|| request.path(), |target| target.as_str());
    ProductId::from_request_target(target).ok_or_else(|| {
        // The last path segment, never the query: that is the client's, credentials and all.
        let path = target.split('?').next().unwrap_or_default();
        Error::BadProductId(path.rsplit('/').next().unwrap_or_default().to_owned())
    })
}

/// A resource whose other methods get our 405 with `allow` (and OPTIONS 204 with it).
fn only(path: &'static str, allow: &'static str) -> Resource {
    chassis::routes::resource(path, allow, refuse)
}

/// Our 405 for a method outside `allow`.
fn refuse(allow: &'static str) -> Error {
    Error::MethodNotAllowed { allow }
}

async fn not_found() -> Result<HttpResponse, Error> {
    Err(Error::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_id_is_reported_without_the_query() {
        let request = actix_web::test::TestRequest::get()
            .uri("/ratings/abc?password=SECRET")
            .to_http_request();

        let error = product_id(&request).expect_err("not a number");

        assert!(
            matches!(&error, Error::BadProductId(segment) if segment == "abc"),
            "{error:?}"
        );
    }
}
