//! What the platform asks of productpage: `/health` for probes and `/metrics` for Prometheus.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};

use super::{get_or_head, read_only};
use crate::error::Error;
use crate::metrics::{Metrics, OPENMETRICS_CONTENT_TYPE};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(read_only("/health").route(get_or_head().to(health)))
        .service(read_only("/metrics").route(get_or_head().to(metrics)));
}

/// Upstream's exact answer: HTML content type, no trailing newline.
async fn health() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .body("Product page is healthy")
}

async fn metrics(metrics: web::Data<Metrics>) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok()
        .content_type(OPENMETRICS_CONTENT_TYPE)
        .body(metrics.render()?))
}
