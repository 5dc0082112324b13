//! The HTML pages: the landing page and the product page.

use actix_web::http::header::{ContentType, VARY};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::de::IgnoredAny;

use super::{get_or_head, read_only};
use crate::backends::Backends;
use crate::config::Config;
use crate::error::Error;
use crate::product::{FEATURED, ProductId};
use crate::session::Visitor;
use crate::views::{BookDetails, IndexPage, ProductPage, ReviewList};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(read_only("/").route(get_or_head().to(index)))
        .service(read_only("/index.html").route(get_or_head().to(index)))
        .service(read_only("/productpage").route(get_or_head().to(product_page)));
}

async fn index(config: web::Data<Config>) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(IndexPage::new(&config).render()?))
}

/// Always 200: a backend that fails shows its error block and the rest of the page still renders.
/// Calls run one after another as upstream's do: details, the flood, then reviews.
async fn product_page(
    visitor: Visitor,
    config: web::Data<Config>,
    backends: web::Data<Backends>,
) -> Result<HttpResponse, Error> {
    let id = ProductId::of(&FEATURED);
    let details = backends
        .details
        .get::<BookDetails>(&id, &visitor.forwarded)
        .await;
    for _ in 0..config.flood_factor {
        // Only load for the rate-limit demos; the answers are counted in the metric and dropped.
        let _ = backends
            .reviews
            .get::<IgnoredAny>(&id, &visitor.forwarded)
            .await;
    }
    let reviews = backends
        .reviews
        .get::<ReviewList>(&id, &visitor.forwarded)
        .await;
    let page = ProductPage {
        user: visitor.user.as_deref(),
        product: &FEATURED,
        details: details.ok(),
        reviews: reviews.ok(),
    };
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        // The page differs per signed-in user.
        .insert_header((VARY, "Cookie"))
        .body(page.render()?))
}
