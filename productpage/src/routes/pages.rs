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
use crate::rendered::{Part, RenderedPages};
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
/// Calls run one after another as upstream's do: details, the flood, then reviews. A page made of
/// the same user and answers as one the worker rendered lately is sent again as it was.
async fn product_page(
    visitor: Visitor,
    backends: web::Data<Backends>,
    config: web::Data<Config>,
    rendered: web::Data<RenderedPages>,
) -> Result<HttpResponse, Error> {
    let id = ProductId::of(&FEATURED);
    let details = backends
        .details
        .read(&id, &visitor.forwarded, |body| {
            rendered.read::<BookDetails>(Part::Details, body)
        })
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
        .read(&id, &visitor.forwarded, |body| {
            rendered.read::<ReviewList>(Part::Reviews, body)
        })
        .await;
    let user = visitor.user.as_deref();
    let html = rendered.page(user, details.ok(), reviews.ok(), |details, reviews| {
        ProductPage {
            user,
            product: &FEATURED,
            details,
            reviews,
        }
        .render()
    })?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        // The page differs per signed-in user.
        .insert_header((VARY, "Cookie"))
        .body(html))
}
