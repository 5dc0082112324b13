//! `/api/v1/products…`: the catalogue, and details, reviews and ratings passed through from the
//! backends, re-written in upstream's Python JSON style.

use actix_web::http::header::{ContentType, HeaderValue, VARY};
use actix_web::{HttpResponse, web};
use serde_json::Value;

use super::{get_or_head, read_only};
use crate::backends::{Backends, Unavailable};
use crate::error::Error;
use crate::json::to_python_json;
use crate::product::{PRODUCTS, ProductId};
use crate::session::Visitor;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(read_only("/api/v1/products").route(get_or_head().to(products)))
        .service(read_only("/api/v1/products/{id}").route(get_or_head().to(details)))
        .service(read_only("/api/v1/products/{id}/reviews").route(get_or_head().to(reviews)))
        .service(read_only("/api/v1/products/{id}/ratings").route(get_or_head().to(ratings)));
}

async fn products() -> Result<HttpResponse, Error> {
    Ok(json_response(to_python_json(&PRODUCTS)?))
}

async fn details(
    id: web::Path<String>,
    visitor: Visitor,
    backends: web::Data<Backends>,
) -> Result<HttpResponse, Error> {
    let id = product_id(&id)?;
    passed_on(backends.details.get(&id, &visitor.forwarded).await)
}

async fn reviews(
    id: web::Path<String>,
    visitor: Visitor,
    backends: web::Data<Backends>,
) -> Result<HttpResponse, Error> {
    let id = product_id(&id)?;
    passed_on(backends.reviews.get(&id, &visitor.forwarded).await)
}

async fn ratings(
    id: web::Path<String>,
    visitor: Visitor,
    backends: web::Data<Backends>,
) -> Result<HttpResponse, Error> {
    let id = product_id(&id)?;
    passed_on(backends.ratings.get(&id, &visitor.forwarded).await)
}

fn product_id(raw: &str) -> Result<ProductId, Error> {
    ProductId::parse(raw).ok_or_else(|| Error::BadProductId(raw.to_owned()))
}

/// The backend's JSON in Python style, or its error status with upstream's error body.
fn passed_on(fetched: Result<Value, Unavailable>) -> Result<HttpResponse, Error> {
    let mut response = json_response(to_python_json(&fetched?)?);
    // The session's user goes to the backend as end-user, and Istio may route on it.
    response
        .headers_mut()
        .insert(VARY, HeaderValue::from_static("Cookie"));
    Ok(response)
}

fn json_response(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body)
}
