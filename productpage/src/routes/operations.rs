//! What the platform asks of productpage: `/health` for probes. (`/metrics` is chassis'.)

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};

use super::{get_or_head, read_only};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(read_only("/health").route(get_or_head().to(health)));
}

/// Upstream's exact answer: HTML content type, no trailing newline.
async fn health() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .body("Product page is healthy")
}
